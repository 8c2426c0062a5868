// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.emulator.unicorn.Engine;

/**
 * One re-execution of the journal ({@link History}) by the {@link RunLoop}, from a restored snapshot to
 * {@code target}, noting the last breakpoint or watchpoint met ({@code stepCpu} -1), or the last instruction
 * CPU {@code stepCpu} started (reverse-stepi). {@code leaving}: the target is the moment gdb is at, which is not
 * itself a hit.
 */
final class Reexecution {
    /** A breakpoint (1), a watchpoint's accessing instruction (2) or an instruction (3), where and on which CPU. */
    record Hit(RunPosition at, int cpu, int kind, int watch) {
    }

    final History history;
    final RunPosition target;
    final int stepCpu;
    final boolean leaving;
    private Hit last;

    Reexecution(History history, RunPosition target, int stepCpu, boolean leaving) {
        this.history = history;
        this.target = target;
        this.stepCpu = stepCpu;
        this.leaving = leaving;
    }

    /** How slice {@code slice} ({@code entry}) is re-executed. */
    Engine.Replay replayOf(long slice, History.Entry entry, int cpu) {
        boolean every = stepCpu == cpu;
        if (!target.betweenSlices() && target.slice() == slice) {
            return new Engine.Replay(every, true, target.blocks(), target.rip(), true);
        }
        if (entry.exact()) {
            return new Engine.Replay(every, true, entry.blocks(), entry.endRip(), false);
        }
        return new Engine.Replay(every, false, 0, 0, false);
    }

    /** Slice {@code slice} ran on {@code engine}: its last hit counts if it is of the kind looked for. */
    void sliceRan(long slice, History.Entry entry, int cpu, Engine engine) {
        boolean lastBeforeTarget = leaving && target.betweenSlices() && slice == target.slice() - 1;
        Engine.ReplayHit h = History.lastHit(engine, entry, lastBeforeTarget);
        if (!h.found() || (stepCpu >= 0 ? cpu != stepCpu : h.kind() == 3)) {
            return;   // reverse-stepi: any instruction start of its CPU (a watchpoint's accessing one too)
        }
        last = new Hit(new RunPosition(slice, h.blocks(), h.rip()), cpu, h.kind(), h.watch());
    }

    /** True when the loop reached the target between slices: {@code slices} have run. */
    boolean reachedBetween(long slices) {
        return target.betweenSlices() && slices >= target.slice();
    }

    RunPosition target() {
        return target;
    }

    Hit last() {
        return last;
    }
}
