// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.io.ByteArrayOutputStream;
import java.util.List;
import limu.emulator.unicorn.RunExit;

/**
 * Reverse execution for the debugger, on the {@link History} of a run: every call comes while the machine is
 * stopped for the debugger (run-loop thread) and leaves it stopped at an earlier moment. Finding the last
 * breakpoint, watchpoint or instruction before now re-executes the journal from the latest snapshot before now,
 * then from the one before that, until one is met; going there re-executes up to it. The future after the new
 * moment is forgotten (snapshots and journal): going forward runs live again, and serial input the forgotten
 * future had taken is handed to the guest again.
 */
public final class TimeTravel {
    private final Machine machine;
    private final Cpus cpus;
    private final Board board;
    private final RunLoop loop;
    private final GuestMemory memory;
    private final VirtualClock clock;
    private final History history;

    TimeTravel(Machine machine, Cpus cpus, Board board, RunLoop loop, GuestMemory memory, VirtualClock clock,
               History history) {
        this.machine = machine;
        this.cpus = cpus;
        this.board = board;
        this.loop = loop;
        this.memory = memory;
        this.clock = clock;
        this.history = history;
    }

    /** Thrown when history cannot go where it was asked: the message says why. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message);
        }
    }

    /** reverse-stepi: the moment CPU {@code cpu} started its previous instruction, or the history's start. */
    public Debugger.Stop reverseStep(int cpu) {
        return back(cpu);
    }

    /** reverse-continue: the last breakpoint or watchpoint hit before now, or the history's start. */
    public Debugger.Stop reverseContinue() {
        return back(-1);
    }

    private Debugger.Stop back(int stepCpu) {
        check();
        byte[] queued = board.takeQueuedSerialInput();
        board.muteOutputs(true);
        try {
            long now = loop.slices();
            List<History.Checkpoint> cs = history.checkpoints();
            for (int i = cs.size() - 1; i >= 0; i--) {
                long from = cs.get(i).slice();
                long to = i == cs.size() - 1 ? now : cs.get(i + 1).slice();
                if (from >= to) {
                    continue;
                }
                restore(i);
                Reexecution search = new Reexecution(history, RunPosition.before(to), stepCpu, to == now);
                reexecute(search);
                Reexecution.Hit hit = search.last();
                if (hit != null) {
                    arrive(i, hit.at(), hit.cpu(), queued);
                    return switch (hit.kind()) {
                        case 1 -> new Debugger.Stop(Debugger.Stop.Kind.BREAKPOINT, hit.cpu(), hit.at().rip(),
                                limu.emulator.unicorn.MemoryAccess.NONE);
                        case 2 -> stepCpu >= 0 ? Debugger.Stop.simple(Debugger.Stop.Kind.STEPPED, hit.cpu())
                                : new Debugger.Stop(Debugger.Stop.Kind.WATCHPOINT, hit.cpu(), hit.watch(),
                                limu.emulator.unicorn.MemoryAccess.WRITE);
                        default -> Debugger.Stop.simple(Debugger.Stop.Kind.STEPPED, hit.cpu());
                    };
                }
            }
            arrive(0, null, 0, queued);
            return Debugger.Stop.simple(Debugger.Stop.Kind.HISTORY_START, Math.max(0, stepCpu));
        } finally {
            board.muteOutputs(false);
        }
    }

    /**
     * Goes to virtual time {@code nanos} (within the history): to the start of the first slice that starts there
     * or later. Returns the stop to report.
     */
    public Debugger.Stop goTo(long nanos) {
        check();
        List<History.Checkpoint> cs = history.checkpoints();
        if (nanos < cs.get(0).nanos()) {
            throw new Unavailable(String.format("%d ns is before the history's start (%d ns)", nanos,
                    cs.get(0).nanos()));
        }
        long slice = -1;
        for (long s = cs.get(0).slice(); s < history.end(); s++) {
            if (history.entry(s).startNanos() >= nanos) {
                slice = s;
                break;
            }
        }
        if (slice < 0) {
            throw new Unavailable(String.format("%d ns is not in the history (it ends at %d ns)", nanos,
                    clock.nanos(0)));
        }
        int i = 0;
        while (i + 1 < cs.size() && cs.get(i + 1).slice() <= slice) {
            i++;
        }
        byte[] queued = board.takeQueuedSerialInput();
        board.muteOutputs(true);
        try {
            int cpu = slice > cs.get(i).slice() ? history.entry(slice - 1).cpu() : 0;
            if (slice == cs.get(i).slice()) {
                arrive(i, null, cpu, queued);
            } else {
                restore(i);
                reexecute(new Reexecution(history, RunPosition.before(slice), -1, false));
                finish(i, null, queued);
            }
            return Debugger.Stop.simple(Debugger.Stop.Kind.STEPPED, cpu);
        } finally {
            board.muteOutputs(false);
        }
    }

    /** {@code monitor when}: where the machine is in the run. */
    public String when(int cpu) {
        RunLoop.Progress p = loop.progress();
        return String.format("CPU %d: virtual time %d ns, %d blocks executed (all CPUs), slice %d%s%n", cpu,
                clock.nanos(0), p.blocks(), p.slices(),
                p.instructions() > 0 ? ", " + p.instructions() + " instructions" : "");
    }

    /** {@code monitor snapshots}: the history's snapshots, oldest first, with their virtual times. */
    public String snapshots() {
        StringBuilder b = new StringBuilder();
        List<History.Checkpoint> cs = history.checkpoints();
        if (history.disabled() != null) {
            b.append("history stopped recording: ").append(history.disabled()).append('\n');
        }
        for (int i = 0; i < cs.size(); i++) {
            b.append(String.format("snapshot %d: virtual time %d ns, slice %d%n", i, cs.get(i).nanos(),
                    cs.get(i).slice()));
        }
        b.append(String.format("%d snapshot(s), %d bytes held (cap %d), one every %d ns of virtual time; now %d ns%n",
                cs.size(), history.bytes(), history.capBytes(), history.intervalNanos(), clock.nanos(0)));
        return b.toString();
    }

    private void check() {
        if (history.checkpoints().isEmpty()) {
            throw new Unavailable(history.disabled() != null ? "no history: " + history.disabled()
                    : "no history recorded yet");
        }
    }

    private void restore(int i) {
        History.Checkpoint c = history.checkpoints().get(i);
        c.state().restore(machine, cpus, board, loop, memory, clock);
        board.rewindOutputs(c.state().outputPositions());
        history.restoreMemory(i);
    }

    private void reexecute(Reexecution r) {
        if (!loop.reexecute(r)) {
            throw new Unavailable("re-execution did not reach slice " + r.target().slice());
        }
    }

    /** Goes from checkpoint {@code i} to {@code at} (null: the checkpoint itself) and makes that the present. */
    private void arrive(int i, RunPosition at, int cpu, byte[] queued) {
        restore(i);
        if (at != null) {
            reexecute(new Reexecution(history, at, -1, false));
        }
        finish(i, at, queued);
    }

    private void finish(int i, RunPosition at, byte[] queued) {
        History.Entry partial = null;
        long slice = loop.slices();
        if (at != null) {
            History.Entry e = history.entry(at.slice());
            partial = new History.Entry(loop.iterations(), e.cpu(), e.step(), RunExit.TARGET, at.blocks(), at.rip(),
                    e.startNanos(), 0);
            slice = at.slice();
        }
        byte[] again = history.truncate(slice, partial, loop.iterations(), i);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(again);
        all.writeBytes(queued);
        if (!loop.replaying()) {   // a replay's input comes from its recording again, at its turns
            board.queueSerialInputFirst(all.toByteArray());
        }
        loop.arrived(at != null);
    }
}
