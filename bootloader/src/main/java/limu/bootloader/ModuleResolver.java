// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.io.IOException;
import java.util.Optional;

/**
 * Reads files from the boot volume for the kernel's internal modules (Module request revision 1). limu resolves
 * the kernel's relative path against the directory of the kernel's own path on the volume
 * ({@link BootVolume#kernelPath()}) first, so {@code path} is always absolute on the volume, e.g.
 * {@code /boot/initrd.tar} for a kernel at {@code /boot/kernel.elf} asking for {@code initrd.tar}; how the volume
 * maps onto host files is the caller's business (see {@link BootVolume#hostDirectory}).
 */
@FunctionalInterface
public interface ModuleResolver {
    /**
     * The file's bytes, or empty if there is no such file. An I/O error fails the boot; a refusal leaves the module
     * out, as a missing file, with a warning.
     */
    Optional<byte[]> read(String path) throws IOException, RefusedPathException;
}
