// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import limu.bootloader.FramebufferSize;
import limu.devices.Ps2Key;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;
import org.junit.jupiter.api.Test;

/**
 * Keys from the host through {@link Machine#pressKey} reach the keyboard kernel's IRQ 1 handler
 * as set-1 scancodes, a halted machine with keys attached waits for them, and a stop request
 * ends that wait (what closing the display window does).
 */
class KeyboardInputTest {
    private final ByteArrayOutputStream serial = new ByteArrayOutputStream();

    private Machine boot() throws Exception {
        MachineConfig config = MachineConfig.builder(serial).memoryBytes(64L << 20)
                .framebuffer(Optional.of(FramebufferSize.parse("640x400"))).flushEachLine(true)
                .timeout(Optional.of(Duration.ofSeconds(240))).bootEpochSeconds(0).build();
        return Machine.boot(config, Limu.kernel("keyboard-release.elf"));
    }

    private String serial() {
        return serial.toString(StandardCharsets.UTF_8);
    }

    private void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                fail("timed out waiting for " + what + "; serial:\n" + serial());
            }
            Thread.sleep(20);
        }
    }

    /** The machine runs on its own thread; it has ended before the machine is closed, pass or fail. */
    private static void stopAndWait(Machine m, CompletableFuture<StopReason> run) throws Exception {
        m.requestStop();
        run.get(120, TimeUnit.SECONDS);
    }

    @Test
    void keysReachTheKernelAsTranslatedScancodesAndEscapeEndsIt() throws Exception {
        try (Machine m = boot()) {
            m.acceptKeys(true);
            CompletableFuture<StopReason> run = CompletableFuture.supplyAsync(m::run);
            try {
                typeAndEscape(m, run);
            } finally {
                stopAndWait(m, run);
            }
        }
    }

    private void typeAndEscape(Machine m, CompletableFuture<StopReason> run) throws Exception {
        waitFor("keyboard: ready", () -> serial().contains("keyboard: ready\n"));
        Thread.sleep(200);   // the machine now waits in hlt for a key
        assertFalse(run.isDone(), "a halted machine with keys attached waits: " + serial());
        assertEquals("", glyphAt(m, 0), "the first text cell is blank before a key");
        m.pressKey(Ps2Key.Q);
        m.releaseKey(Ps2Key.Q);
        waitFor("key Q", () -> serial().contains("key Q\n"));
        // the kernel's 5x7 font, 4x4 pixels a dot: Q, drawn in the first text cell
        assertEquals(".###.\n#...#\n#...#\n#...#\n#.#.#\n#..#.\n.##.#\n", glyphAt(m, 0));
        m.pressKey(Ps2Key.RIGHT_CTRL);
        m.releaseKey(Ps2Key.RIGHT_CTRL);
        m.pressKey(Ps2Key.F7);
        m.releaseKey(Ps2Key.F7);
        String expected = "keyboard: ready\nscancode 0x10\nkey Q\nscancode 0x90\nscancode 0xe0\nscancode 0x1d\n"
                + "scancode 0xe0\nscancode 0x9d\nscancode 0x41\nscancode 0xc1\n";
        waitFor("the scancodes", () -> serial().endsWith(expected));
        m.pressKey(Ps2Key.ESCAPE);
        StopReason r = run.get(120, TimeUnit.SECONDS);
        assertEquals(new StopReason.GuestExit(0x10, 33), r, serial());
        assertTrue(serial().endsWith("scancode 0x01\nkeyboard: escape\n"), serial());
    }

    /**
     * The 5x7 dots of text cell {@code column} on the keyboard kernel's first text line ('#' ink, '.' background),
     * or "" when the cell is all background. Cells are 24x36 pixels from x = 16, the line at a quarter of the height
     * plus 72, each dot 4x4 pixels (sampled at its centre).
     */
    private static String glyphAt(Machine m, int column) {
        limu.emulator.Framebuffer fb = m.framebuffer().orElseThrow();
        int x0 = 16 + column * 24;
        int y0 = fb.height() / 4 + 72;
        StringBuilder dots = new StringBuilder();
        boolean ink = false;
        for (int row = 0; row < 7; row++) {
            for (int col = 0; col < 5; col++) {
                int rgb = fb.pixel(x0 + col * 4 + 2, y0 + row * 4 + 2);
                assertTrue(rgb == 0xF0F0F0 || rgb == 0x202040, String.format("pixel 0x%06x is neither ink nor"
                        + " background", rgb));
                ink |= rgb == 0xF0F0F0;
                dots.append(rgb == 0xF0F0F0 ? '#' : '.');
            }
            dots.append('\n');
        }
        return ink ? dots.toString() : "";
    }

    @Test
    void aStopRequestEndsTheWaitForKeys() throws Exception {
        try (Machine m = boot()) {
            m.acceptKeys(true);
            CompletableFuture<StopReason> run = CompletableFuture.supplyAsync(m::run);
            try {
                waitFor("keyboard: ready", () -> serial().contains("keyboard: ready\n"));
            } finally {
                m.requestStop();
            }
            assertEquals(new StopReason.Interrupted(), run.get(120, TimeUnit.SECONDS));
        }
    }

    @Test
    void withoutKeysAttachedTheHaltedMachineEnds() throws Exception {
        try (Machine m = boot()) {
            StopReason r = m.run();
            assertTrue(r instanceof StopReason.Halted, r + "\n" + serial());
            assertTrue(serial().contains("keyboard: ready\n"), serial());
        }
    }
}
