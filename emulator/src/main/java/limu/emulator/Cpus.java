// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import limu.devices.IpiSink;

/**
 * The machine's CPUs, which one is running a slice, and what their local APICs ask of each
 * other. A newly pending interrupt marks the target CPU's engine, so a running slice ends where
 * IF lets it in (a self-IPI followed by STI is taken right after the STI shadow). INIT and
 * start-up IPIs are queued here and applied between slices by the {@link RunLoop}.
 */
final class Cpus implements IpiSink {
    /** An INIT ({@code vector} -1) or a start-up IPI (vector 0-255) sent to CPU {@code cpu}. */
    record StartupSignal(int cpu, int vector) {
        static final int INIT = -1;
    }

    private final VirtualClock clock;
    private final List<Vcpu> all = new ArrayList<>();
    /** INITs and start-up IPIs sent during the last slice, in order. */
    private final ArrayDeque<StartupSignal> signals = new ArrayDeque<>();
    /** The CPU whose slice is running (its work so far counts in the virtual time), or null. */
    private Vcpu running;

    Cpus(VirtualClock clock) {
        this.clock = clock;
    }

    void add(Vcpu cpu) {
        all.add(cpu);
    }

    List<Vcpu> all() {
        return all;
    }

    Vcpu get(int index) {
        return all.get(index);
    }

    int count() {
        return all.size();
    }

    Vcpu running() {
        return running;
    }

    void running(Vcpu cpu) {
        running = cpu;
    }

    /** Virtual nanoseconds now, counting the work of the slice that is running. */
    long nanos() {
        Vcpu r = running;
        return clock.nanos(r == null ? 0 : r.engine.sliceBlocks());
    }

    /** The next queued INIT or start-up IPI, or null. */
    StartupSignal pollSignal() {
        return signals.poll();
    }

    List<StartupSignal> pendingSignals() {
        return List.copyOf(signals);
    }

    void restoreSignals(List<StartupSignal> pending) {
        signals.clear();
        signals.addAll(pending);
    }

    @Override
    public void init(int apicId) {
        if (apicId >= 0 && apicId < all.size()) {
            signals.add(new StartupSignal(apicId, StartupSignal.INIT));
        }
    }

    @Override
    public void startup(int apicId, int vector) {
        if (apicId >= 0 && apicId < all.size()) {
            signals.add(new StartupSignal(apicId, vector & 0xff));
        }
    }

    @Override
    public void interruptPending(int apicId) {
        if (apicId >= 0 && apicId < all.size()) {
            all.get(apicId).engine.setInterruptPending(true);
            Vcpu sender = running;
            if (sender != null && sender.index != apicId) {
                sender.engine.yieldSlice();   // an IPI: let the target take it soon
            }
        }
    }
}
