// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.io.IOException;
import java.io.OutputStream;

/** What the machine offers a plug-in device being created. */
public interface DeviceContext {
    /** The machine's clock. */
    VirtualTime time();

    /** Where the device gets timers that fire in virtual time. */
    TimerScheduler timers();

    /**
     * ISA IRQ {@code irq} (0-15): the 8259 input and the I/O APIC input the MADT's
     * interrupt source overrides map it to (IRQ0 → GSI 2). Each call gives the
     * device its own source, wired-OR with any other user of the IRQ.
     */
    InterruptLine isaIrq(int irq);

    /** I/O APIC input {@code gsi} (0-23), as its own wired-OR source. */
    InterruptLine gsi(int gsi);

    /** The machine's console output (where the first serial port goes). */
    OutputStream console();

    /** A new output file at {@code path} (relative to the working directory), truncated. */
    OutputStream openOutput(String path) throws IOException;

    PowerListener power();
}
