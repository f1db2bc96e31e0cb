// examples/digits-cnn.ts on a quick setting (the first 400 digits, a 3-epoch schedule): it learns,
// it is deterministic for its seeds, and a run resumed from its checkpoint repeats the
// uninterrupted run exactly.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseOptions, run } from "../../examples/digits-cnn";

const quiet = () => {};
const dir = mkdtempSync(join(tmpdir(), "digits-cnn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("digits CNN example", () => {
  it("learns, and a resumed run continues bit for bit", () => {
    const quick = { epochs: 3, limit: 400, log: quiet };
    const whole = run(quick);
    expect(whole.epochs).toEqual([1, 2, 3]);
    // the loss falls every epoch; after 15 steps the held-out digits (read in eval mode, with the
    // batch norm's running statistics still catching up) are right well above chance (10%):
    // 58.75% for these seeds
    expect(whole.losses[1]).toBeLessThan(whole.losses[0]);
    expect(whole.losses[2]).toBeLessThan(whole.losses[1]);
    expect(whole.accuracies[2]).toBeGreaterThanOrEqual(0.5);
    expect(whole.confusion.flat().reduce((a, b) => a + b, 0)).toBe(80); // 20% of 400 held out

    const checkpoint = join(dir, "quick.safetensors");
    const firstPart = run({ ...quick, stopAfter: 2, checkpoint });
    expect(firstPart.losses).toEqual(whole.losses.slice(0, 2));
    const resumed = run({ ...quick, resume: checkpoint });
    expect(resumed.epochs).toEqual([3]);
    expect(resumed.losses[0]).toBe(whole.losses[2]);
    expect(resumed.accuracies[0]).toBe(whole.accuracies[2]);
    expect(resumed.confusion).toEqual(whole.confusion);
  });

  it("refuses to resume a checkpoint with another schedule length", () => {
    const checkpoint = join(dir, "one.safetensors");
    run({ epochs: 1, limit: 100, checkpoint, log: quiet });
    expect(() => run({ epochs: 2, limit: 100, resume: checkpoint, log: quiet })).toThrow(
      "was trained for a 1-epoch schedule; resume it with --epochs 1",
    );
  });

  it("validates its command line", () => {
    expect(parseOptions(["--epochs", "5", "--stop-after", "2", "--eager"])).toMatchObject({
      epochs: 5,
      stopAfter: 2,
      eager: true,
    });
    expect(parseOptions([])).toMatchObject({ epochs: 20, eager: false, stopAfter: undefined });
    expect(parseOptions(["--help"])).toBeNull();
    expect(() => parseOptions(["--epochs", "0"])).toThrow("--epochs must be a positive integer");
    expect(() => parseOptions(["--epochs", "2.5"])).toThrow("--epochs must be a positive integer");
    expect(() => parseOptions(["--epochs", "3", "--stop-after", "4"])).toThrow(
      "--stop-after 4 is past --epochs 3",
    );
    expect(() => parseOptions(["--limit", "10"])).toThrow("--limit must be between 50 and 1797");
    expect(() => parseOptions(["--lr", "1"])).toThrow("Unknown option '--lr'");
    expect(() => parseOptions(["--resume"])).toThrow("argument missing");
  });
});
