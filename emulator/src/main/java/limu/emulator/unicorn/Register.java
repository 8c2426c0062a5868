// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** The x86_64 registers the machine reads and writes as plain 64-bit values. */
public enum Register {
    RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15,
    RIP, RFLAGS, CS, DS, ES, FS, GS, SS, CR0, CR2, CR3, CR4, CR8, FS_BASE, GS_BASE;

    /** The sixteen general-purpose registers, in encoding order's usual listing. */
    public static final Register[] GENERAL = {RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP,
        R8, R9, R10, R11, R12, R13, R14, R15};
}
