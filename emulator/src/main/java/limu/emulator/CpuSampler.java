// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.emulator.unicorn.Engine;

/**
 * Takes samples of every CPU at a fixed interval of virtual time (the profiler), attached with
 * {@link Machine#sample}. The run loop ends slices at each sample instant, so a sample sees the CPU
 * that ran up to that instant where it stopped; time the CPUs spent halted gets its samples too.
 * Samples depend on virtual time only, so the same run gives the same samples.
 */
public interface CpuSampler {
    /** Virtual nanoseconds between two samples (more than 0). */
    long intervalNanos();

    /**
     * One sample of CPU {@code cpu} (on the run-loop thread, between slices): its engine holds its
     * registers; {@code idle}: it is halted, or not started yet.
     */
    void sample(int cpu, Engine engine, boolean idle);
}
