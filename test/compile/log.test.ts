// JITGRAD_LOG=ir,code prints the optimized IR and the generated code when a graph is compiled;
// after:<stage> prints the graph(s) after a pipeline stage (compiler/pipeline.ts). The variable is
// read at each compile; the module is loaded afresh anyway, as a program setting it would.
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

  it("after:simplify,after:partition: the graphs after those stages, in order", async () => {
    process.env.JITGRAD_LOG = "after:simplify, after:partition";
    vi.resetModules();
    const jg = await import("../../index");
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: unknown) => {
      printed.push(String(s));
    });
    const f = jg.compile((x: InstanceType<typeof jg.Tensor>) => x.mul(1).exp().sum());
    f(jg.ones([3], { requiresGrad: true }));
    expect(printed).toHaveLength(2);
    // simplify dropped the multiplication by 1; the graph is still the joint one, with the
    // cotangent as input 1
    expect(printed[0]).toMatch(/^\[jitgrad\] after simplify\n%0 = input 0 : f32\[3\]\n/);
    expect(printed[0]).toMatch(/= input 1 : f32\[\]/);
    expect(printed[0]).not.toMatch(/ mul %0, /);
    expect(printed[1]).toMatch(
      /^\[jitgrad\] after partition\n# forward\n[\s\S]*exp %0 : f32\[3\] {2}\/\/ saved for backward: exp is costly[\s\S]*\n# backward\n/,
    );
    f(jg.ones([3], { requiresGrad: true }));
    expect(printed).toHaveLength(2); // a cache hit compiles nothing
    jg.grad((x: InstanceType<typeof jg.Tensor>) => x.exp().sum())(jg.ones([2]));
    expect(printed).toHaveLength(3); // grad() has no partition stage
    expect(printed[2]).toMatch(/^\[jitgrad\] after simplify\n/);
  });

  it("after:*: every stage; an unknown request is named once", async () => {
    process.env.JITGRAD_LOG = "after:*,after:simplfy";
    vi.resetModules();
    const jg = await import("../../index");
    const { pipelines } = await import("../../compiler/pipeline");
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: unknown) => {
      printed.push(String(s).split("\n")[0]);
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    jg.compile((x: InstanceType<typeof jg.Tensor>) => x.add(1))(jg.ones([3]));
    jg.compile((x: InstanceType<typeof jg.Tensor>) => x.add(2))(jg.ones([3]));
    const once = pipelines.forward.map((s) => `[jitgrad] after ${s.name}`);
    expect(printed).toEqual([...once, ...once]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/JITGRAD_LOG: unknown request after:simplfy/);
  });

  it("unset: prints nothing", async () => {
    vi.resetModules();
    const jg = await import("../../index");
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    jg.compile((x: InstanceType<typeof jg.Tensor>) => x.add(1))(jg.ones([3]));
    expect(spy).not.toHaveBeenCalled();
  });
});
