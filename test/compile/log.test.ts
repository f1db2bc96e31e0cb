// JITGRAD_LOG=ir,code prints the optimized IR and the generated code when a graph is compiled
// (read once when compiler/compile.ts loads, so the module is loaded afresh here).
import { afterEach, describe, expect, it, vi } from "vitest";

describe("JITGRAD_LOG", () => {
  afterEach(() => {
    delete process.env.JITGRAD_LOG;
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("ir,code: prints both on a compile, nothing on a cache hit", async () => {
    process.env.JITGRAD_LOG = "ir,code";
    vi.resetModules();
    const jg = await import("../../index");
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: unknown) => {
      printed.push(String(s));
    });
    const f = jg.compile((x: InstanceType<typeof jg.Tensor>) => x.add(1).exp());
    f(jg.ones([3]));
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(
      /^\[jitgrad\] IR\n%0 = input 0 : f32\[3\]\n[\s\S]*exp %\d+ : f32\[3\]/,
    );
    expect(printed[1]).toMatch(/^\[jitgrad\] code\n[\s\S]*function k0_add_exp_3\(/);
    f(jg.ones([3]));
    expect(printed).toHaveLength(2);
  });

  it("unset: prints nothing", async () => {
    vi.resetModules();
    const jg = await import("../../index");
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    jg.compile((x: InstanceType<typeof jg.Tensor>) => x.add(1))(jg.ones([3]));
    expect(spy).not.toHaveBeenCalled();
  });
});
