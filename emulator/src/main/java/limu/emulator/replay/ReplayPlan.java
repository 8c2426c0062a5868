// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import java.util.ArrayList;
import java.util.List;
import limu.emulator.ReplaySchedule;

/**
 * A recording on its way to being replayed: the input schedule the machine gets, and the comparison of the
 * replay's end with the recorded one (docs/record-replay.md).
 */
public final class ReplayPlan {
    private final RunRecording recording;
    private final ReplaySchedule schedule;

    public ReplayPlan(RunRecording recording) {
        this.recording = recording;
        RunRecording.End end = recording.end().orElse(null);
        // the code limu gave, not the stop's own: a closed window (30) and Ctrl-A x (32) are stops from outside too
        this.schedule = end != null && end.external()
                ? new ReplaySchedule(recording.events(), end.blocks(), end.exitCode(), end.message())
                : new ReplaySchedule(recording.events(), -1, 0, "");
    }

    public RunRecording recording() {
        return recording;
    }

    public ReplaySchedule schedule() {
        return schedule;
    }

    /** What the replay did when it ended. */
    public record Outcome(int exitCode, long blocks, long instructions, long turns, long nanos, String outputSha256) {
    }

    /**
     * The differences between the replay's end and the recording's, one line each (empty: the same run). Without a
     * recorded end only the inputs are checked.
     */
    public List<String> differences(Outcome o) {
        List<String> d = new ArrayList<>();
        long last = schedule.lastIteration();
        if (last > o.turns()) {
            d.add(String.format("the replay ended at loop turn %d, virtual time %d ns, before the input recorded at"
                    + " loop turn %d", o.turns(), o.nanos(), last));
        }
        RunRecording.End e = recording.end().orElse(null);
        if (e == null) {
            return d;
        }
        if (e.blocks() != o.blocks()) {
            d.add(String.format("%d blocks executed; the recorded run executed %d", o.blocks(), e.blocks()));
        }
        if (e.instructions() != o.instructions()) {
            d.add(String.format("%d instructions counted; the recorded run counted %d", o.instructions(),
                    e.instructions()));
        }
        if (!e.outputSha256().equals(o.outputSha256())) {
            d.add("the serial output differs (SHA-256 " + o.outputSha256() + "; recorded " + e.outputSha256() + ")");
        }
        if (e.exitCode() != o.exitCode()) {
            d.add(String.format("exit code %d; the recorded run's was %d (%s)", o.exitCode(), e.exitCode(),
                    e.message()));
        }
        return d;
    }
}
