// Generated code holds compiler-made names, numbers and escaped comments only: the checks sit in
// the ESTree builders every kernel is built with, so no caller can get around them.
import { describe, expect, it } from "vitest";
import { functionDecl, id, num, print, sym } from "../../backend/js/estree";

describe("the JS backend's code builders", () => {
  it("escape line terminators in comments, so comment text cannot become code", () => {
    const g = globalThis as { pwned?: number };
    for (const end of ["\n", "\r", "\u2028", "\u2029"]) {
      const src = print(functionDecl("f", [], [], [`sum {keepdim=${end};globalThis.pwned=1//}`]));
      expect(src.split(/[\n\r\u2028\u2029]/).filter((l) => l.includes("pwned"))).toHaveLength(1);
      new Function(`${src}; f();`)();
      expect(g.pwned).toBeUndefined();
    }
  });

  it("take plain identifiers only", () => {
    expect(() => id("a;b")).toThrow(/plain name/);
    expect(() => id({ toString: () => "x" } as unknown as string)).toThrow(/plain name/);
    expect(id("t12").name).toBe("t12");
  });

  it("take as kernel arguments only the names eager kernels make (n0, o1, s0_2), and numbers", () => {
    expect(() => sym("process")).toThrow(/compiler made/);
    expect(() => sym({ toString: () => "n0" } as unknown as string)).toThrow(/compiler made/);
    expect(() => sym(Number.NaN)).toThrow(/finite/);
    expect(print(functionDecl("f", ["n0"], [], []))).toContain("function f(n0)");
    expect(() => num("1" as unknown as number)).toThrow(/numbers only/);
  });
});
