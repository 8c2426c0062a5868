// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.RunExit;

/**
 * The recent past of a run under gdb, for reverse execution: snapshots of the whole machine taken every
 * {@code intervalNanos} of virtual time (memory as changed pages, {@link HistoryMemory}), and a journal of every
 * slice the run loop ran since the oldest one (which CPU, single step or not, how it ended, how many blocks) and of
 * the host input it delivered (serial bytes, keys), with the loop iteration it arrived in. Going back to a moment
 * is restoring the snapshot before it and running the journal again up to it ({@link RunLoop} in re-execution
 * mode): the run is deterministic given the journal, and a slice that ended for a reason that may not recur (a
 * breakpoint since removed, Ctrl-C) ends at its exact recorded position. When the snapshots and journal hold more
 * than {@code capBytes}, the oldest snapshot goes and history starts later. Run-loop thread only.
 */
final class History {
    /** Default cap on the bytes history holds. */
    static final long DEFAULT_CAP = 1L << 30;
    /** Default virtual time between snapshots. */
    static final long DEFAULT_INTERVAL_NANOS = 10_000_000;
    /** Approximate bytes a journal entry costs. */
    static final int ENTRY_BYTES = 64;

    /** One slice as it ran: {@code exact} when it must end at ({@code blocks}, {@code endRip}) on re-execution. */
    record Entry(long iteration, int cpu, boolean step, RunExit exit, long blocks, long endRip, long startNanos,
                 long instructions) {
        boolean exact() {
            return exit == RunExit.BREAKPOINT || exit == RunExit.WATCHPOINT || exit == RunExit.REQUESTED
                    || exit == RunExit.TARGET;
        }
    }

    /** Host input delivered at the top of loop iteration {@code iteration}. */
    record Input(long iteration, byte[] serial, List<HostInput.KeyChange> keys) {
    }

    /** A snapshot: taken at the top of the loop before iteration {@code iteration + 1}, when {@code slice} slices had run. */
    record Checkpoint(long slice, long iteration, long nanos, long instructions, MachineSnapshot state) {
    }

    private final long capBytes;
    private final long intervalNanos;
    private final HistoryMemory memory;
    private final List<Checkpoint> checkpoints = new ArrayList<>();
    /** Slices from the oldest checkpoint's on: entry {@code i} is slice {@code journalBase + i}. */
    private final List<Entry> journal = new ArrayList<>();
    private long journalBase;
    private final List<Input> inputs = new ArrayList<>();
    private long nextCheckpoint;
    private String disabled;

    History(long capBytes, long intervalNanos, HistoryMemory memory) {
        this.capBytes = capBytes;
        this.intervalNanos = intervalNanos;
        this.memory = memory;
    }

    long capBytes() {
        return capBytes;
    }

    long intervalNanos() {
        return intervalNanos;
    }

    /** Why history stopped recording (a snapshot was refused), or null. */
    String disabled() {
        return disabled;
    }

    /** True when a snapshot is due at virtual time {@code nanos}. */
    boolean due(long nanos) {
        return disabled == null && (checkpoints.isEmpty() || nanos >= nextCheckpoint);
    }

    /** Adds a snapshot (memory is captured here), then drops the oldest ones while over the cap. */
    void add(Checkpoint c) {
        if (!checkpoints.isEmpty() && c.slice() < journalBase + journal.size()) {
            throw new IllegalStateException("history: a snapshot inside the journal");
        }
        if (checkpoints.isEmpty()) {
            journalBase = c.slice();
        }
        memory.capture();
        checkpoints.add(c);
        nextCheckpoint = c.nanos() + intervalNanos;
        while (bytes() > capBytes && checkpoints.size() > 1) {
            dropOldest();
        }
    }

    /** Stops recording: {@code why} is said when reverse execution is asked for. */
    void disable(String why) {
        disabled = why;
    }

    private void dropOldest() {
        checkpoints.remove(0).state().close();
        memory.dropOldest();
        Checkpoint oldest = checkpoints.get(0);
        int drop = (int) (oldest.slice() - journalBase);
        journal.subList(0, drop).clear();
        journalBase = oldest.slice();
        inputs.removeIf(i -> i.iteration() <= oldest.iteration());
    }

    /** Bytes held: snapshots' memory pages and the journal. */
    long bytes() {
        return memory.bytes() + (long) journal.size() * ENTRY_BYTES
                + inputs.stream().mapToLong(i -> i.serial().length + 32L * i.keys().size() + 32).sum();
    }

    void record(Entry e) {
        if (!checkpoints.isEmpty()) {
            journal.add(e);
        }
    }

    void recordInput(Input i) {
        if (!checkpoints.isEmpty()) {
            inputs.add(i);
        }
    }

    /** Slices run so far according to the journal (the next slice's number). */
    long end() {
        return journalBase + journal.size();
    }

    /** The journal's entry for slice {@code slice}, or null past its end. */
    Entry entry(long slice) {
        long i = slice - journalBase;
        return i < 0 || i >= journal.size() ? null : journal.get((int) i);
    }

    /** The input delivered at {@code iteration}, or null. */
    Input input(long iteration) {
        for (int i = inputs.size() - 1; i >= 0; i--) {
            Input in = inputs.get(i);
            if (in.iteration() == iteration) {
                return in;
            }
            if (in.iteration() < iteration) {
                return null;
            }
        }
        return null;
    }

    List<Checkpoint> checkpoints() {
        return List.copyOf(checkpoints);
    }

    /** Puts memory back as at checkpoint {@code index}. */
    void restoreMemory(int index) {
        memory.restore(index);
    }

    /**
     * The machine went back to slice {@code slice} (a partial slice {@code partial}, or null: just before it) at
     * loop iteration {@code iteration}: the journal's future goes, so do snapshots after it; returns the serial
     * bytes the discarded future had delivered, in order (they are delivered again).
     */
    byte[] truncate(long slice, Entry partial, long iteration, int checkpoint) {
        int keep = (int) Math.max(0, slice - journalBase);
        journal.subList(Math.min(keep, journal.size()), journal.size()).clear();
        if (partial != null) {
            journal.add(partial);
        }
        while (checkpoints.size() > checkpoint + 1) {
            checkpoints.remove(checkpoints.size() - 1).state().close();
        }
        memory.truncateAfter(checkpoint);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        inputs.removeIf(in -> {
            if (in.iteration() > iteration) {
                again.writeBytes(in.serial());
                return true;
            }
            return false;
        });
        nextCheckpoint = checkpoints.get(checkpoints.size() - 1).nanos() + intervalNanos;
        return again.toByteArray();
    }

    /** The hit a re-executed slice met last, before {@code stop} when that is the moment being left. */
    static Engine.ReplayHit lastHit(Engine engine, Entry entry, boolean excludeEnd) {
        Engine.ReplayHit h = engine.replayHit();
        if (excludeEnd && h.found() && entry.exact() && h.blocks() == entry.blocks() && h.rip() == entry.endRip()) {
            return engine.replayHitBefore();
        }
        return h;
    }

    void close() {
        checkpoints.forEach(c -> c.state().close());
        checkpoints.clear();
        memory.close();
    }
}
