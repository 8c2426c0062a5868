// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/** What requests may change about the boot before anything is placed. */
final class BootSetup {
    private final String fileName;
    private final boolean fiveLevelAvailable;
    private int pagingLevels = 4;
    private long stackSize = Limine.DEFAULT_STACK_SIZE;
    private OptionalLong entryPoint = OptionalLong.empty();

    BootSetup(String fileName, boolean fiveLevelAvailable) {
        this.fileName = fileName;
        this.fiveLevelAvailable = fiveLevelAvailable;
    }

    String fileName() {
        return fileName;
    }

    boolean fiveLevelAvailable() {
        return fiveLevelAvailable;
    }

    int pagingLevels() {
        return pagingLevels;
    }

    void pagingLevels(int levels) {
        this.pagingLevels = levels;
    }

    /** Size of the BSP stack (and, later, of each AP stack). */
    long stackSize() {
        return stackSize;
    }

    void stackSize(long bytes) {
        this.stackSize = bytes;
    }

    /** The BSP's entry point if the Entry Point request overrides the ELF's. */
    OptionalLong entryPoint() {
        return entryPoint;
    }

    void entryPoint(long address) {
        this.entryPoint = OptionalLong.of(address);
    }
}
