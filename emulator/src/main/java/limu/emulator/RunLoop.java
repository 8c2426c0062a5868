// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import limu.devices.DeviceTimer;
import limu.devices.LocalApic;
import limu.emulator.cpu.CpuModel;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.RunExit;
import limu.emulator.unicorn.Slice;

/**
 * The run loop: all CPUs take turns on one thread, each for a slice of blocks, in CPU order,
 * so the same kernel gives the same interleaving and the same output. Between slices: due
 * timers fire, halted CPUs an interrupt can reach wake up, parked and SIPI-started APs start,
 * and the next CPU gets its highest-priority interrupt delivered through its IDT.
 */
final class RunLoop {
    /** Blocks per slice: short enough to notice a timeout or a stop request within milliseconds. */
    static final long SLICE_BLOCKS = 200_000;
    /** Blocks per slice while several CPUs run: fine interleaving for spinlocks and shared counters. */
    static final long SMP_SLICE_BLOCKS = 5_000;
    /** Blocks per slice while an interrupt waits for RFLAGS.IF: soon after an STI it is taken. */
    static final long MASKED_INTERRUPT_RETRY_BLOCKS = 1_000;
    /**
     * Halted with interrupts enabled, limu skips to timer deadlines; this many in a row that
     * wake no CPU (a periodic timer whose interrupt is masked) means nothing ever will, and
     * the run ends as halted.
     */
    static final int MAX_IDLE_SKIPS = 10_000;
    /**
     * PAUSEs a CPU may execute in one slice while another CPU can run: the next one ends the slice.
     * A spin-wait loop runs a PAUSE an iteration; the lock holder gets the host instead.
     */
    static final int PAUSES_BEFORE_YIELD = 32;
    /**
     * Output without a line end (a prompt, an echoed key) is handed to its stream at least this often, so a
     * terminal or a network client sees it as it is typed.
     */
    static final long OUTPUT_FLUSH_NANOS = 20_000_000;

    /** The loop's counters, kept across runs (a restored run slices as the original). */
    record Progress(long blocks, long instructions, int idleSkips, int turn, long slices, long iterations,
                    long extraTurns, boolean cut) {
    }

    private final Optional<Duration> timeout;
    private final VirtualClock clock;
    private final Symbols symbols;
    private final GuestMemory memory;
    private final Cpus cpus;
    private final List<ParkedAp> parked;
    private final Board board;
    private final HostInput input;
    private final InputFeed feed;
    private ExecutionObserver observer = ExecutionObserver.NONE;
    private volatile boolean debugStopRequested;
    /** {@link Machine#runToMarker()} is running. */
    private boolean stopAtMarker;
    private long blocks;
    private long instructions;
    /** Slices run since boot, and turns of the loop: a position in the reverse-debugging journal. */
    private long slices;
    private long iterations;
    /**
     * Turns of the loop a debugger added: after a slice it cut short (a breakpoint, a single step, going back to the
     * middle of a slice) the rest runs in a turn of its own. {@code iterations - extraTurns} counts the turns as a
     * run without the debugger would, which is how a replayed recording's input finds its turn.
     */
    private long extraTurns;
    /** The last slice was cut short by the debugger: the next turn is an extra one. */
    private boolean cut;
    /** This turn runs the rest of a slice the debugger cut: a replayed recording has no input for it. */
    private boolean continuing;
    /** The reverse-debugging history, or null (off). */
    private History history;
    /** Set while the loop re-executes the journal (reverse debugging); null when it runs live. */
    private Reexecution reexecution;
    /** A snapshot capture for the history, at the top of the loop ({@link Machine}). */
    private Runnable checkpoint = () -> { };
    /** Timer deadlines skipped to in a row without waking any CPU. */
    private int idleSkips;
    /** The CPU whose next turn it is. */
    private int resumeTurn;
    /** The profiler, or null; it samples every CPU when virtual time reaches {@link #nextSample}. */
    private CpuSampler sampler;
    private long nextSample;

    RunLoop(Optional<Duration> timeout, VirtualClock clock, Symbols symbols, GuestMemory memory, Cpus cpus,
            List<ParkedAp> parked, Board board, HostInput input) {
        this.timeout = timeout;
        this.clock = clock;
        this.symbols = symbols;
        this.memory = memory;
        this.cpus = cpus;
        this.parked = List.copyOf(parked);
        this.board = board;
        this.input = input;
        this.feed = new InputFeed(board, input, clock);
        board.timers().onEarlierDeadline(this::timerArmedEarlier);
    }

    /**
     * A timer armed inside a running slice (TSC_DEADLINE, an APIC timer count, an HPET comparator)
     * is due before the slice's planned end: the slice ends at the deadline, so it fires on time.
     */
    private void timerArmedEarlier(long deadline) {
        Vcpu cpu = cpus.running();
        if (cpu != null && !clock.wall()) {
            cpu.engine.limitSliceBudget(clock.blocksUntil(deadline, cpu.engine.sliceBlocks()));
        }
    }

    /**
     * Runs until the guest exits, halts, crashes, or the timeout passes. The debugger gets the
     * machine whenever a breakpoint, watchpoint, single step or {@link #requestDebugStop()} stops
     * a CPU; the time it holds the machine does not count against the timeout.
     */
    StopReason run(Debugger debugger) {
        Reexecution replay = reexecution;
        long deadline = replay != null ? Long.MAX_VALUE
                : timeout.map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
        boolean debugging = debugger.attached() || history != null || replay != null;
        int turn = resumeTurn;
        Debugger.Stop stop = debugger.stopAtEntry() ? Debugger.Stop.simple(Debugger.Stop.Kind.ENTRY, 0) : null;
        Vcpu stepping = null;   // the CPU the debugger steps by one instruction; the others wait
        input.takeStopRequest();   // one left from an earlier run (the engines' own were acted on)
        try {
            while (true) {
                if (replay == null && history != null && history.due(clock.nanos(0))) {
                    checkpoint.run();
                }
                iterations++;
                continuing = cut;
                if (cut) {
                    extraTurns++;
                    cut = false;
                }
                if (replay == null && replayEnded()) {
                    return feed.schedule().stop();
                }
                if (debugStopRequested && replay == null) {
                    stop = debugStop(turn);
                }
                if (stop != null) {
                    long t0 = System.nanoTime();
                    Debugger.Resume resume = debugger.stopped(stop);
                    deadline = deadline == Long.MAX_VALUE ? deadline : deadline + System.nanoTime() - t0;
                    stop = null;
                    if (resume.kill()) {
                        return new StopReason.Interrupted();
                    }
                    turn = resumeTurn;   // the debugger may have moved the machine back in time
                    stepping = steppable(resume);
                }
                takeDueSamples();
                startParkedCpus();
                board.timers().runDue(cpus.nanos());
                deliverHostInput(replay);
                board.flushOutputsIfDue(System.nanoTime(), OUTPUT_FLUSH_NANOS);
                if (wakeInterruptedCpus()) {
                    idleSkips = 0;
                }
                History.Entry recorded = replay == null ? null : replay.history.entry(slices);
                if (recorded != null && recorded.iteration() == iterations && recorded.step()) {
                    stepping = cpus.get(recorded.cpu());   // a single step gdb asked for
                }
                Vcpu cpu = stepping != null ? stepping : nextRunnable(turn);
                if (cpu == null) {
                    if (System.nanoTime() - deadline > 0) {
                        return timeout(cpus.get(0));
                    }
                    if (waitForNextTimer()) {
                        continue;
                    }
                    if (replay != null && recorded != null) {
                        continue;   // the recorded run waited here for host input: it comes from the journal
                    }
                    if (replay == null && awaitRecordedInput()) {
                        continue;
                    }
                    if ((input.attached() || board.serialInputAwaited()) && haltedWithInterruptsEnabled()) {
                        board.flushOutputs();   // the prompt the guest waits behind
                        if (awaitHostInput(deadline)) {
                            return new StopReason.Interrupted();
                        }
                        continue;
                    }
                    return new StopReason.Halted(cpus.all().stream().anyMatch(c -> c.state == Vcpu.State.HALTED
                            && c.interruptsEnabled()));
                }
                turn = cpu.index + 1;
                resumeTurn = turn;
                if (System.nanoTime() - deadline > 0) {
                    return timeout(cpu);
                }
                // a debugger's single step runs exactly the next instruction, no interrupt first (QEMU's NOIRQ)
                long budget = stepping != null ? 1 : replayBudget(injectInterrupt(cpu));
                if (cpu.core.shutdown() != null) {
                    return CrashReport.tripleFault(cpu.core.shutdown(), symbols);
                }
                long startNanos = clock.nanos(0);
                if (replay != null) {
                    if (recorded == null || recorded.iteration() != iterations || recorded.cpu() != cpu.index
                            || recorded.step() != (stepping != null)) {
                        throw new IllegalStateException("re-execution diverged from the journal at slice " + slices
                                + " (iteration " + iterations + ", CPU " + cpu.index + ")");
                    }
                    cpu.engine.setReplay(replay.replayOf(slices, recorded, cpu.index));
                }
                Slice slice;
                try {
                    slice = runSlice(cpu, stepping != null, debugging, budget);
                } finally {
                    if (replay != null) {
                        cpu.engine.setReplay(null);
                    }
                }
                if (replay != null) {
                    replay.sliceRan(slices, recorded, cpu.index, cpu.engine);
                    boolean finalStop = slice.exit() == RunExit.TARGET && !replay.target().betweenSlices()
                            && replay.target().slice() == slices;
                    if (!finalStop && slice.blocks() != recorded.blocks()) {
                        throw new IllegalStateException("re-execution diverged from the journal in slice " + slices
                                + ": " + slice.blocks() + " blocks instead of " + recorded.blocks());
                    }
                    slices++;
                    stepping = null;
                    cut = recorded.exact() || recorded.step();
                    if (finalStop) {
                        return null;
                    }
                } else {
                    if (history != null) {
                        boolean exact = slice.exit() == RunExit.BREAKPOINT || slice.exit() == RunExit.WATCHPOINT
                                || slice.exit() == RunExit.REQUESTED;
                        history.record(new History.Entry(iterations, cpu.index, stepping != null, slice.exit(),
                                slice.blocks(), exact ? cpu.engine.read(Register.RIP) : 0, startNanos,
                                slice.instructions()));
                    }
                    slices++;
                    cut = stepping != null || slice.exit() == RunExit.BREAKPOINT || slice.exit() == RunExit.WATCHPOINT
                            || slice.exit() == RunExit.REQUESTED && debugStopRequested;
                    if (stepping != null) {
                        stepping = null;
                        stop = Debugger.Stop.simple(Debugger.Stop.Kind.STEPPED, cpu.index);
                    }
                }
                Optional<StopReason> observed = observer.stopReason();
                if (observed.isPresent()) {
                    return observed.get();
                }
                switch (slice.exit()) {
                    case BUDGET, INTERRUPT_WINDOW, ADDRESS_HOOK, YIELDED, TARGET -> { }
                    case REQUESTED -> {
                        if (!debugStopRequested) {
                            return new StopReason.Interrupted();
                        }
                    }
                    case BREAKPOINT, WATCHPOINT, STEPPED -> {
                        if (replay == null) {
                            stop = Debugger.Stop.of(cpu.index, slice);
                        }
                    }
                    case PORT_STOP -> {
                        // no event: a device wants an interrupt looked at now
                        Optional<BoardEvent> event = board.takeEvent();
                        if (event.isPresent() && (stopAtMarker || !(event.get() instanceof BoardEvent.Marker))) {
                            return event.get().stopReason();
                        }
                    }
                    case RETURNED -> {
                        if (!cpu.stoppedOnHlt()) {
                            return CrashReport.unexplainedStop(cpu, symbols);
                        }
                        cpu.state = Vcpu.State.HALTED;
                    }
                    default -> {
                        return cpu.core.shutdown() != null ? CrashReport.tripleFault(cpu.core.shutdown(), symbols)
                                : CrashReport.of(cpu, slice, symbols);
                    }
                }
                if (replay != null && replay.reachedBetween(slices)) {
                    return null;
                }
            }
        } finally {
            takeDueSamples();
            board.flushOutputs();
        }
    }

    /**
     * Host input for this turn of the loop: live, the keys typed and the serial bytes COM1 takes now (noted in the
     * history); re-executing, what the journal says arrived at this turn.
     */
    private void deliverHostInput(Reexecution replay) {
        if (replay != null) {
            History.Input in = replay.history.input(iterations);
            if (in != null) {
                in.keys().forEach(k -> board.hostKey(k.key(), k.down()));
                if (in.serial().length > 0) {
                    board.receiveSerial(in.serial());
                }
            }
            return;
        }
        History.Input delivered = feed.deliver(iterations, continuing ? -1 : iterations - extraTurns,
                extraTurns == 0, resumeTurn % cpus.count());
        continuing = false;
        if (history != null && delivered != null) {
            history.recordInput(delivered);
        }
    }

    /**
     * Replaying a recording, every CPU waits in HLT for an interrupt: the recorded run waited here for host input,
     * turn after turn, until its next input came. The loop goes on at the turn before that input's (nothing happens
     * in the turns between: virtual time stands still). False when no input is left.
     */
    private boolean awaitRecordedInput() {
        ReplaySchedule s = feed.schedule();
        if (s == null || !haltedWithInterruptsEnabled()) {
            return false;
        }
        long next = s.nextAfter(iterations - extraTurns);
        if (next < 0) {
            return false;
        }
        iterations = next + extraTurns - 1;
        return true;
    }

    /** Replaying a run that was stopped from outside: the machine has done what the recorded run did before it. */
    private boolean replayEnded() {
        ReplaySchedule s = feed.schedule();
        // inputs still to come were delivered by the recorded run after this point (without waking a CPU)
        return s != null && s.stopBlocks() >= 0 && blocks >= s.stopBlocks()
                && s.nextAfter(iterations - extraTurns - 1) < 0;
    }

    /** Replaying a run that was stopped from outside, no slice goes past the point where it was stopped. */
    private long replayBudget(long budget) {
        ReplaySchedule s = feed.schedule();
        return s == null || s.stopBlocks() < 0 ? budget : Math.max(1, Math.min(budget, s.stopBlocks() - blocks));
    }

    /** Every sample instant virtual time has reached: one sample of each CPU (see {@link CpuSampler}). */
    private void takeDueSamples() {
        if (sampler == null) {
            return;
        }
        for (long now = clock.nanos(0); now >= nextSample; nextSample += sampler.intervalNanos()) {
            for (Vcpu c : cpus.all()) {
                sampler.sample(c.index, c.engine, c.state != Vcpu.State.RUNNING);
            }
        }
    }

    /** Runs one slice of {@code cpu} and counts its work in the machine's blocks, instructions and virtual time. */
    private Slice runSlice(Vcpu cpu, boolean step, boolean debugging, long budget) {
        cpus.running(cpu);
        cpu.engine.setPauseYield(otherCpuRunnable(cpu) ? PAUSES_BEFORE_YIELD : 0);
        Slice slice;
        try {
            slice = step ? cpu.engine.step() : debugging ? cpu.engine.runDebug(budget) : cpu.engine.run(budget);
        } finally {
            cpus.running(null);
        }
        blocks += slice.blocks();
        clock.advance(slice.blocks());
        instructions += slice.instructions();
        return slice;
    }

    private StopReason timeout(Vcpu cpu) {
        long rip = cpu.engine.read(Register.RIP);
        return new StopReason.Timeout(timeout.orElseThrow(), cpu.index, rip, symbols.at(rip));
    }

    /** {@link #requestDebugStop()} arrived: every engine's stop request is spent; the debugger gets the last CPU run. */
    private Debugger.Stop debugStop(int turn) {
        debugStopRequested = false;
        cpus.all().forEach(c -> c.engine.clearStopRequest());
        return Debugger.Stop.simple(Debugger.Stop.Kind.INTERRUPTED, Math.max(0, turn - 1) % cpus.count());
    }

    /** The CPU to single-step, or null; a halted or parked CPU steps when it runs again: the others run. */
    private Vcpu steppable(Debugger.Resume resume) {
        Vcpu cpu = resume.stepCpu() < 0 ? null : cpus.get(resume.stepCpu());
        return cpu != null && cpu.state == Vcpu.State.RUNNING ? cpu : null;
    }

    /**
     * Delivers the highest-priority interrupt {@code cpu} can take now through its IDT (NMI
     * first, then the 8259's ExtINT, then the local APIC's IRR) and returns the block budget
     * of its next slice: short when an interrupt waits for IF, never past the next timer deadline.
     */
    private long injectInterrupt(Vcpu cpu) {
        LocalApic apic = board.lapic(cpu.index);
        if (apic.takeNmi()) {
            cpu.core.deliverNmi();
        } else if (cpu.core.acceptsInterrupts()) {
            if (apic.extIntPending()) {
                int vector = board.pic().acknowledge();
                apic.acknowledgeExtInt();
                cpu.core.deliverExternal(vector);
            } else {
                int vector = apic.nextDeliverable();
                if (vector >= 0) {
                    apic.acknowledge(vector);
                    cpu.core.deliverExternal(vector);
                }
            }
        }
        long budget = sliceBlocks();
        boolean waiting = apic.extIntPending() || apic.nextDeliverable() >= 0;
        cpu.engine.setInterruptPending(waiting);
        if (waiting) {
            budget = Math.min(budget, MASKED_INTERRUPT_RETRY_BLOCKS);
        }
        long next = board.timers().nextDeadline();
        if (next != DeviceTimer.NEVER && !clock.wall()) {
            budget = Math.min(budget, clock.blocksUntil(next, 0));
        }
        if (sampler != null && !clock.wall()) {
            budget = Math.min(budget, clock.blocksUntil(nextSample, 0));   // a sample sees where the slice got to
        }
        return budget;
    }

    /** One CPU running alone gets long slices; several get short ones so they interleave finely. */
    private long sliceBlocks() {
        long running = cpus.all().stream().filter(c -> c.state == Vcpu.State.RUNNING).count();
        return running > 1 ? SMP_SLICE_BLOCKS : SLICE_BLOCKS;
    }

    private boolean otherCpuRunnable(Vcpu cpu) {
        for (Vcpu c : cpus.all()) {
            if (c != cpu && c.state == Vcpu.State.RUNNING) {
                return true;
            }
        }
        return false;
    }

    private Vcpu nextRunnable(int from) {
        int n = cpus.count();
        for (int i = 0; i < n; i++) {
            Vcpu c = cpus.get((from + i) % n);
            if (c.state == Vcpu.State.RUNNING) {
                return c;
            }
        }
        return null;
    }

    /** A halted CPU that can take a pending interrupt runs again (its RIP is already past the HLT). */
    private boolean wakeInterruptedCpus() {
        boolean woke = false;
        for (Vcpu c : cpus.all()) {
            if (c.state == Vcpu.State.HALTED) {
                LocalApic apic = board.lapic(c.index);
                if (apic.nmiPending() || c.interruptsEnabled()
                        && (apic.extIntPending() || apic.nextDeliverable() >= 0)) {
                    c.state = Vcpu.State.RUNNING;
                    woke = true;
                }
            }
        }
        return woke;
    }

    /**
     * Every CPU is halted: let virtual time jump to the next timer deadline (in wall-clock mode,
     * sleep until then). False when no timer is armed: nothing can ever wake the machine.
     */
    private boolean waitForNextTimer() {
        long next = board.timers().nextDeadline();
        boolean wakeable = cpus.all().stream().anyMatch(c -> c.state == Vcpu.State.HALTED && c.interruptsEnabled());
        if (next == DeviceTimer.NEVER || !wakeable || ++idleSkips > MAX_IDLE_SKIPS) {
            return false;   // nothing can wake a CPU: timers may tick, but their interrupts reach no one
        }
        try {
            clock.skipTo(next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    private boolean haltedWithInterruptsEnabled() {
        return cpus.all().stream().anyMatch(c -> c.state == Vcpu.State.HALTED && c.interruptsEnabled());
    }

    /**
     * Every CPU waits in HLT and only host input (a key, serial bytes) can wake one: waits for it
     * (virtual time stands still meanwhile). True when a stop was requested instead; the loop
     * checks the timeout.
     */
    private boolean awaitHostInput(long deadline) {
        try {
            long left = deadline == Long.MAX_VALUE ? 100 : Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            input.await(Math.min(100, left));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
        return input.takeStopRequest();
    }

    /**
     * An AP starts once the kernel has written its goto_address (Limine's parking protocol),
     * or through INIT and start-up IPIs.
     */
    private void startParkedCpus() {
        applyInitAndStartup();
        for (ParkedAp ap : parked) {
            Vcpu cpu = cpus.get(ap.cpu());
            if (cpu.state != Vcpu.State.PARKED) {
                continue;
            }
            long target = memory.readLong(ap.gotoAddressPhysical());
            if (target != 0) {
                cpu.enter(ap.enteringAt(target));
                cpu.state = Vcpu.State.RUNNING;
            }
        }
    }

    /**
     * Applies the INITs and start-up IPIs of the last slice (between slices: no engine runs).
     * INIT puts an AP, whatever it was doing (parked by Limine, running, halted), into
     * wait-for-SIPI; a start-up IPI starts an AP waiting for one in real mode at
     * vector * 0x1000 ({@link limu.emulator.unicorn.Engine#enterRealMode}); any other CPU
     * ignores it (the second SIPI of the INIT-SIPI-SIPI sequence). INIT to the BSP is
     * ignored: limu has no firmware to reset into (QEMU would reboot the machine).
     */
    private void applyInitAndStartup() {
        for (Cpus.StartupSignal s; (s = cpus.pollSignal()) != null; ) {
            Vcpu cpu = cpus.get(s.cpu());
            if (s.vector() == Cpus.StartupSignal.INIT) {
                if (cpu.index != 0) {
                    cpu.state = Vcpu.State.WAIT_FOR_SIPI;
                }
            } else if (cpu.state == Vcpu.State.WAIT_FOR_SIPI) {
                cpu.engine.enterRealMode(s.vector(), CpuModel.SIGNATURE);
                cpu.state = Vcpu.State.RUNNING;
            }
        }
    }

    /** Thread-safe: the next turn of the loop hands the machine to the debugger. */
    void requestDebugStop() {
        debugStopRequested = true;
    }

    /** Runs with {@code stop} true make a snapshot-marker write end the run. */
    void stopAtMarker(boolean stop) {
        stopAtMarker = stop;
    }

    /** Samples every CPU each {@link CpuSampler#intervalNanos()} of virtual time from now on. */
    void sample(CpuSampler s) {
        sampler = s;
        nextSample = clock.nanos(0) + s.intervalNanos();
    }

    void observe(ExecutionObserver tool) {
        observer = tool;
    }

    ExecutionObserver observer() {
        return observer;
    }

    Progress progress() {
        return new Progress(blocks, instructions, idleSkips, resumeTurn, slices, iterations, extraTurns, cut);
    }

    /** Host input goes to {@code sink} too (--record). */
    void record(java.util.function.Consumer<HostEvent> sink) {
        feed.record(sink);
    }

    /** Host input comes from {@code s} (limu replay). */
    void replay(ReplaySchedule s) {
        feed.replay(s);
    }

    /** True while replaying a recording. */
    boolean replaying() {
        return feed.schedule() != null;
    }

    /** Loop turns a debugger added (see {@link #extraTurns}). */
    long extraTurns() {
        return extraTurns;
    }

    /** Keeps a reverse-debugging history from now on; {@code capture} adds a snapshot to it. */
    void keepHistory(History h, Runnable capture) {
        history = h;
        checkpoint = capture;
    }

    History history() {
        return history;
    }

    /** Re-executes the journal up to {@code r}'s target (after a snapshot was restored); false: not reached. */
    boolean reexecute(Reexecution r) {
        reexecution = r;
        try {
            return run(Debugger.NONE) == null;
        } finally {
            reexecution = null;
        }
    }

    /**
     * After going back in time inside a debugger stop: the loop goes on at the next turn; {@code midSlice}: the
     * moment is inside a slice, whose rest runs in that turn (an extra one, see {@link #extraTurns}).
     */
    void arrived(boolean midSlice) {
        iterations++;
        continuing = cut || midSlice;
        if (continuing) {
            extraTurns++;
        }
        cut = false;
    }

    long slices() {
        return slices;
    }

    long iterations() {
        return iterations;
    }

    /** Puts the counters back as {@code p} says; a pending debugger stop is dropped. */
    void restore(Progress p) {
        debugStopRequested = false;
        blocks = p.blocks();
        instructions = p.instructions();
        idleSkips = p.idleSkips();
        resumeTurn = p.turn();
        slices = p.slices();
        iterations = p.iterations();
        extraTurns = p.extraTurns();
        cut = p.cut();
        continuing = false;
    }
}
