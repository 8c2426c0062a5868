// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** The kind of a memory access that failed. */
public enum MemoryAccess {
    NONE, READ, WRITE, FETCH;

    static MemoryAccess ofUnicorn(long type) {
        return switch ((int) type) {
            case 19 -> READ;   // UC_MEM_READ_UNMAPPED
            case 20 -> WRITE;  // UC_MEM_WRITE_UNMAPPED
            case 21 -> FETCH;  // UC_MEM_FETCH_UNMAPPED
            default -> NONE;
        };
    }
}
