// The browser demo (examples/browser) in headless Chromium: it trains the spirals MLP in a Web
// Worker until the held-out accuracy reaches 95%, draws as it goes, shows the generated kernels,
// and the page stays responsive. A screenshot goes to the OS temp dir, or to
// $JITGRAD_DEMO_SCREENSHOT (how examples/browser/screenshot.png, which the README shows, was made).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { buildDemo } from "../../examples/browser/build";
import { describeBrowser, runPage } from "./harness";

describeBrowser("browser demo (examples/browser)", () => {
  it("trains to 95% held-out accuracy, drawing regions, loss and kernels", async () => {
    const files = await buildDemo();
    const shot =
      process.env.JITGRAD_DEMO_SCREENSHOT ??
      join(mkdtempSync(join(tmpdir(), "jitgrad-demo-")), "screenshot.png");
    const demo = await runPage({
      files,
      until: "window.demo && (window.demo.testAccuracy >= 0.95 || window.demo.error)",
      timeout: 120_000,
      inspect: async (p) => {
        expect(p.errors).toEqual([]);
        const state = await p.value<Record<string, unknown>>("({ ...window.demo })");
        await p.page.screenshot({ path: shot, fullPage: true });
        return state;
      },
    });
    const delays = (demo.timerDelaysMs as number[]).sort((a, b) => a - b);
    const p90 = delays[Math.floor(0.9 * delays.length)];
    console.log(
      `demo: held-out accuracy ${(100 * Number(demo.testAccuracy)).toFixed(1)}% at step ${demo.step} (epoch ${demo.epoch}), ${Number(demo.stepsPerSecond).toFixed(0)} steps/s in the worker, page timer (16 ms, ${delays.length} ticks) late by ${p90.toFixed(0)} ms or less 90% of the time, at most ${Number(demo.longestTimerDelayMs).toFixed(0)} ms; screenshot ${shot}`,
    );
    expect(demo.error).toBe("");
    expect(demo.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(demo.kernels).toMatch(/function k\d+_/); // the generated kernels are on the page
    // the page kept running its timer while the worker trained (on a loaded machine a tick can
    // still be late now and then, so the bound is on the 90th percentile). Training reaches 95% in
    // about a third of a second now (~20 ticks of 16 ms), so ask for 10 ticks, not more.
    expect(delays.length).toBeGreaterThanOrEqual(10);
    expect(p90).toBeLessThan(50);
  }, 150_000);
});
