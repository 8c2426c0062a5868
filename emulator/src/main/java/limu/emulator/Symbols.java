// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.bootloader.ElfFile;

/**
 * Addresses to {@code " <crate::function+0x4f>"} from the kernel's symbol table, followed by
 * {@code " (src/main.rs:12)"} where its DWARF line table knows the line (and {@code " in f"} when the code there is
 * function {@code f} inlined); "" when unknown. The chain of inlined calls as {@link Backtrace} prints it.
 */
final class Symbols {
    private final ElfFile kernel;

    Symbols(ElfFile kernel) {
        this.kernel = kernel;
    }

    String at(long address) {
        return Backtrace.symbol(kernel, address);
    }

    /** The {@code inlined into} lines of the code at {@code address}; "" when it is not inlined. */
    String inlinedInto(long address, String indent) {
        return Backtrace.inlinedInto(kernel, indent, address);
    }
}
