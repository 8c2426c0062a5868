// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** Told when the guest asks the machine to exit through {@link DebugExit}. */
@FunctionalInterface
public interface ExitListener {
    /**
     * @param status   {@code (rawValue << 1) | 1}, what QEMU passes to {@code exit()};
     *                 the host process keeps only its low 8 bits
     * @param rawValue the value the guest wrote, masked to the access size
     *                 (treat as unsigned)
     */
    void exitRequested(int status, int rawValue);
}
