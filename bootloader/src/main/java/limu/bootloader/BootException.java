// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * A kernel (or machine configuration) limu cannot boot. The message is one
 * line a kernel developer understands; problems with the kernel file start with
 * its name, e.g. {@code kernel.elf: no PT_LOAD segments}.
 */
public final class BootException extends Exception {
    private static final long serialVersionUID = 1L;

    public BootException(String message) {
        super(message);
    }
}
