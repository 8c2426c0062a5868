// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The host input of each turn of the run loop, live or replayed. Live: the keys typed (a display window) and the
 * serial bytes COM1 takes now (a terminal, a pipe, a file, a TCP client), handed to the board and, with
 * {@code --record}, to the recording. Replaying a recording: what it says arrived at this turn instead, checked
 * while the replay is exact (it arrives at the same virtual time and COM1 takes all of it) and delivered as COM1
 * has room once a debugger's stops have shifted the run (see {@code docs/record-replay.md}).
 */
final class InputFeed {
    private final Board board;
    private final HostInput input;
    private final VirtualClock clock;
    private Consumer<HostEvent> recorder;
    private ReplaySchedule schedule;

    InputFeed(Board board, HostInput input, VirtualClock clock) {
        this.board = board;
        this.input = input;
        this.clock = clock;
    }

    /** Every input delivered from now on goes to {@code sink} too (--record). */
    void record(Consumer<HostEvent> sink) {
        recorder = sink;
    }

    /** Input comes from {@code s} instead of the host (limu replay). */
    void replay(ReplaySchedule s) {
        schedule = s;
    }

    ReplaySchedule schedule() {
        return schedule;
    }

    /**
     * Delivers the input of loop turn {@code iteration} ({@code logical} for a replay: the turn as the recorded run
     * counted it, -1 for a turn the debugger added, which has none); {@code exact}: the replay must match the recording here. Returns what was delivered, for the
     * reverse-debugging journal, or null.
     */
    History.Input deliver(long iteration, long logical, boolean exact, int cpu) {
        List<HostInput.KeyChange> keys;
        byte[] fed;
        if (schedule != null) {
            HostEvent e = logical < 0 ? null : schedule.at(logical);
            keys = new ArrayList<>();
            if (e != null) {
                if (exact && e.nanos() != clock.nanos(0)) {
                    throw new ReplayDivergence(String.format("the input recorded at loop turn %d, virtual time %d ns,"
                            + " is due while the replay is at virtual time %d ns (CPU %d next)", logical, e.nanos(),
                            clock.nanos(0), cpu));
                }
                e.keys().forEach(k -> keys.add(new HostInput.KeyChange(k.key(), k.down())));
                if (e.serial().length > 0) {
                    board.queueSerialInput(e.serial());
                }
            }
            keys.forEach(k -> board.hostKey(k.key(), k.down()));
            fed = board.takeSerialInput();
            if (exact && e != null && !Arrays.equals(fed == null ? new byte[0] : fed, e.serial())) {
                throw new ReplayDivergence(String.format("at loop turn %d, virtual time %d ns (CPU %d next), COM1"
                        + " took %d of the %d serial bytes the recorded run's COM1 took there", logical,
                        clock.nanos(0), cpu, fed == null ? 0 : fed.length, e.serial().length));
            }
        } else {
            keys = input.take();
            keys.forEach(k -> board.hostKey(k.key(), k.down()));
            fed = board.takeSerialInput();
        }
        if (fed == null && keys.isEmpty()) {
            return null;
        }
        byte[] serial = fed == null ? new byte[0] : fed;
        if (recorder != null) {
            recorder.accept(new HostEvent(iteration, clock.nanos(0), serial,
                    keys.stream().map(k -> new HostEvent.Key(k.key(), k.down())).toList()));
        }
        return new History.Input(iteration, serial, keys);
    }
}
