// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * What the Bootloader Performance request reports, in microseconds from an arbitrary origin. limu has no real
 * firmware or bootloader run time, so these are fixed values the machine configuration chooses (deterministic runs).
 *
 * @param resetUsec when the machine was reset
 * @param initUsec  when the bootloader started
 * @param execUsec  when it handed over to the kernel
 */
public record BootloaderTimes(long resetUsec, long initUsec, long execUsec) {
    /** Reset at 0, bootloader start after 0.1 s of "firmware", hand-over 50 ms later. */
    public static final BootloaderTimes DEFAULT = new BootloaderTimes(0, 100_000, 150_000);
}
