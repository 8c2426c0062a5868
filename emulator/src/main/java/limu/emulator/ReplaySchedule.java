// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The host input of a recorded run, for {@code limu replay}: each {@link HostEvent} is delivered at the loop turn it
 * was recorded at, and a run the recording says was stopped from outside (Ctrl-C, a timeout, a closed window) stops
 * once the machine has executed as many blocks as the recorded one had ({@code stopBlocks}, -1: it ended by itself).
 */
public final class ReplaySchedule {
    private final TreeMap<Long, HostEvent> events = new TreeMap<>();
    private final long stopBlocks;
    private final StopReason.RecordingEnd stop;

    /** {@code stopCode} and {@code stopMessage}: how the recorded run ended, when {@code stopBlocks >= 0}. */
    public ReplaySchedule(List<HostEvent> recorded, long stopBlocks, int stopCode, String stopMessage) {
        for (HostEvent e : recorded) {
            if (events.putIfAbsent(e.iteration(), e) != null) {
                throw new IllegalArgumentException("two inputs recorded at loop turn " + e.iteration());
            }
        }
        this.stopBlocks = stopBlocks;
        this.stop = new StopReason.RecordingEnd(stopCode, stopMessage);
    }

    /** The replay's end where the recorded run was stopped from outside. */
    public StopReason.RecordingEnd stop() {
        return stop;
    }

    /** The input recorded at loop turn {@code iteration}, or null. */
    HostEvent at(long iteration) {
        return events.get(iteration);
    }

    /** The first loop turn after {@code iteration} with an input, or -1: none left. */
    long nextAfter(long iteration) {
        Map.Entry<Long, HostEvent> e = events.higherEntry(iteration);
        return e == null ? -1 : e.getKey();
    }

    /** Blocks executed when the recorded run was stopped from outside; -1 when it ended by itself. */
    public long stopBlocks() {
        return stopBlocks;
    }

    /** The loop turn of the last input recorded, or -1. */
    public long lastIteration() {
        return events.isEmpty() ? -1 : events.lastKey();
    }

    /** The inputs recorded. */
    public int size() {
        return events.size();
    }
}
