// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import limu.emulator.HostEvent;
import limu.emulator.StopReason;
import org.junit.jupiter.api.Test;

/** How a recording's end becomes the replay's stop, and what a replay's end is compared with. */
class ReplayPlanTest {
    private static final String SHA = "ab".repeat(32);

    private static RunRecording recording(RunRecording.End end) {
        return new RunRecording(new RunRecording.Header("v", new RunRecording.FileHash(SHA, "/k"), List.of(), 0,
                List.of(), List.of()), List.of(new HostEvent(40, 1000, "x".getBytes(StandardCharsets.US_ASCII), List.of())),
                Optional.ofNullable(end));
    }

    private static RunRecording.End end(int exit, String stop, int stopExit) {
        return new RunRecording.End(exit, stop, stopExit, 5000, 0, 60, 9000, SHA, "how it ended");
    }

    @Test
    void aRunStoppedFromOutsideStopsAtItsBlocksWithTheCodeLimuGave() {
        // the window closed: Interrupted (14) from the loop, 30 from limu
        ReplayPlan window = new ReplayPlan(recording(end(30, "Interrupted", 14)));
        assertEquals(5000, window.schedule().stopBlocks());
        assertEquals(new StopReason.RecordingEnd(30, "how it ended"), window.schedule().stop());
        assertEquals(10, new ReplayPlan(recording(end(10, "Timeout", 10))).schedule().stop().exitCode());
        // a run that ended by itself runs until it ends by itself
        assertEquals(-1, new ReplayPlan(recording(end(33, "GuestExit", 33))).schedule().stopBlocks());
        assertEquals(-1, new ReplayPlan(recording(null)).schedule().stopBlocks());
    }

    @Test
    void theEndIsComparedFieldByField() {
        ReplayPlan p = new ReplayPlan(recording(end(33, "GuestExit", 33)));
        assertEquals(List.of(), p.differences(new ReplayPlan.Outcome(33, 5000, 0, 60, 9000, SHA)));
        assertEquals(List.of("the replay ended at loop turn 39, virtual time 800 ns, before the input recorded at loop"
                        + " turn 40", "4999 blocks executed; the recorded run executed 5000",
                "7 instructions counted; the recorded run counted 0",
                "the serial output differs (SHA-256 " + "cd".repeat(32) + "; recorded " + SHA + ")",
                "exit code 35; the recorded run's was 33 (how it ended)"),
                p.differences(new ReplayPlan.Outcome(35, 4999, 7, 39, 800, "cd".repeat(32))));
        // without an end only the inputs can be checked
        ReplayPlan open = new ReplayPlan(recording(null));
        assertEquals(List.of(), open.differences(new ReplayPlan.Outcome(1, 1, 1, 40, 1, "")));
        assertEquals(1, open.differences(new ReplayPlan.Outcome(1, 1, 1, 12, 1, "")).size());
    }
}
