// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** Ways to combine {@link InterruptLine}s. */
public final class InterruptLines {
    private InterruptLines() {
    }

    /**
     * One output driving several inputs, as an ISA IRQ line reaches both the 8259
     * and the I/O APIC on a PC.
     */
    public static InterruptLine fanOut(InterruptLine... targets) {
        InterruptLine[] copy = targets.clone();
        for (InterruptLine t : copy) {
            if (t == null) {
                throw new NullPointerException("interrupt line");
            }
        }
        return level -> {
            for (InterruptLine t : copy) {
                t.set(level);
            }
        };
    }

    /** A short pulse: the rising edge that an edge-triggered input latches. */
    public static void pulse(InterruptLine line) {
        line.set(true);
        line.set(false);
    }
}
