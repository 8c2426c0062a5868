// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import limu.bootloader.FramebufferSize;
import limu.devices.Ps2Key;
import limu.emulator.HostEvent;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.ReplaySchedule;
import limu.emulator.StopReason;
import limu.emulator.replay.RecordingReader;
import limu.emulator.replay.RecordingWriter;
import limu.emulator.replay.RunRecording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys typed while the keyboard kernel waits for them (as the display window types them) are recorded with their
 * loop turns, go through a recording file, and replayed into a second machine with no keys attached give the same
 * scancodes, the same picture, the same blocks and the same exit.
 */
class KeyboardRecordReplayTest {
    @TempDir
    Path dir;

    private static Machine boot(ByteArrayOutputStream serial) throws Exception {
        MachineConfig config = MachineConfig.builder(serial).memoryBytes(64L << 20)
                .framebuffer(Optional.of(FramebufferSize.parse("640x400"))).flushEachLine(true)
                .timeout(Optional.of(Duration.ofSeconds(240))).bootEpochSeconds(0).build();
        return Machine.boot(config, Limu.kernel("keyboard-release.elf"));
    }

    private static void waitFor(ByteArrayOutputStream serial, String text) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!serial.toString(StandardCharsets.UTF_8).endsWith(text)) {
            if (System.nanoTime() - end > 0) {
                fail("no '" + text + "'; serial:\n" + serial);
            }
            Thread.sleep(20);
        }
    }

    private static int[] pixels(Machine m) {
        limu.emulator.Framebuffer fb = m.framebuffer().orElseThrow();
        int[] p = new int[fb.width() * fb.height()];
        for (int y = 0; y < fb.height(); y++) {
            for (int x = 0; x < fb.width(); x++) {
                p[y * fb.width() + x] = fb.pixel(x, y);
            }
        }
        return p;
    }

    @Test
    void keysRecordedThroughAFileReplayToTheSameScancodesPictureBlocksAndExit() throws Exception {
        ByteArrayOutputStream live = new ByteArrayOutputStream();
        List<HostEvent> typed = java.util.Collections.synchronizedList(new ArrayList<>());
        int[] livePicture;
        long liveBlocks;
        try (Machine m = boot(live)) {
            m.acceptKeys(true);
            m.recordInput(typed::add);
            CompletableFuture<StopReason> run = CompletableFuture.supplyAsync(m::run);
            try {
                waitFor(live, "keyboard: ready\n");
                m.pressKey(Ps2Key.Q);
                m.releaseKey(Ps2Key.Q);
                waitFor(live, "scancode 0x90\n");
                m.pressKey(Ps2Key.RIGHT_CTRL);
                waitFor(live, "scancode 0x1d\n");
                m.releaseKey(Ps2Key.RIGHT_CTRL);
                waitFor(live, "scancode 0x9d\n");
                m.pressKey(Ps2Key.ESCAPE);
                assertEquals(new StopReason.GuestExit(0x10, 33), run.get(120, TimeUnit.SECONDS), live.toString());
            } finally {
                m.requestStop();
                run.get(120, TimeUnit.SECONDS);
            }
            livePicture = pixels(m);
            liveBlocks = m.blocks();
        }
        assertTrue(typed.size() >= 4, "the keys came in at least four turns: " + typed);
        assertTrue(typed.stream().allMatch(e -> e.serial().length == 0), "keys only");

        Path file = dir.resolve("keys.rec");
        RunRecording.Header h = new RunRecording.Header("test", new RunRecording.FileHash("0".repeat(64), "k"),
                List.of(), 0, List.of(), List.of());
        try (RecordingWriter w = RecordingWriter.create(file, h)) {
            typed.forEach(w::input);
        }
        List<HostEvent> read = RecordingReader.read(file).recording().events();
        assertEquals(typed.size(), read.size());

        ByteArrayOutputStream replayed = new ByteArrayOutputStream();
        try (Machine m = boot(replayed)) {
            m.replayInput(new ReplaySchedule(read, -1, 0, ""));   // no keys attached: only the recording's
            assertEquals(new StopReason.GuestExit(0x10, 33), m.run(), replayed.toString());
            assertEquals(live.toString(StandardCharsets.UTF_8), replayed.toString(StandardCharsets.UTF_8));
            assertTrue(replayed.toString(StandardCharsets.UTF_8).contains("key Q\n"), replayed.toString());
            assertEquals(liveBlocks, m.blocks(), "the same blocks executed");
            assertArrayEquals(livePicture, pixels(m), "the same picture: Q drawn where the live run drew it");
        }
    }
}
