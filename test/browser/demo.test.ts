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
    const draws = (demo.drawMs as number[]).sort((a, b) => a - b);
    const at = (xs: number[], q: number) => xs[Math.floor(q * xs.length)];
    console.log(
      `demo: held-out accuracy ${(100 * Number(demo.testAccuracy)).toFixed(1)}% at step ${demo.step} (epoch ${demo.epoch}), ${Number(demo.stepsPerSecond).toFixed(0)} steps/s in the worker, page timer (16 ms, ${delays.length} ticks) late by ${at(delays, 0.9).toFixed(0)} ms or less 90% of the time, at most ${Number(demo.longestTimerDelayMs).toFixed(0)} ms; drawing a progress message ${at(draws, 0.5).toFixed(1)} ms (median), ${draws[draws.length - 1].toFixed(0)} ms (max, the first draw warms the canvas up) (${draws.length} messages); screenshot ${shot}`,
    );
    expect(demo.error).toBe("");
    expect(demo.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(demo.kernels).toMatch(/function k\d+_/); // the generated kernels are on the page
    // The page stays responsive while the worker trains (~1 s, 50-130 ticks of 16 ms here).
    // - The timer kept firing: training on this thread would stop it for the whole run.
    expect(delays.length).toBeGreaterThanOrEqual(10);
    // - The page's own work for a progress message (drawing it) stays under two frames: 2-5 ms
    //   here; the bound leaves room for a loaded machine. The median, because the first draw
    //   warms the canvas up (~90 ms in headless Chromium).
    // - How late the timer fires depends on the machine's load as much as on the page (a CI run
    //   with other test files beside this one saw 64 ms at the 90th percentile), so its bound only
    //   says the page never froze.
    expect(draws.length).toBeGreaterThanOrEqual(5);
    expect(at(draws, 0.5)).toBeLessThan(33);
    expect(at(delays, 0.9)).toBeLessThan(250);
  }, 150_000);
});
