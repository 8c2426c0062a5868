// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The boot volume the kernel was loaded from, as the kernel sees it: its own path there (Executable File
 * response, and the directory internal modules are relative to) and how files on it are read.
 *
 * @param kernelPath the kernel's path on the volume, e.g. {@code /boot/kernel.elf}; empty means {@code "/" +} the
 *                   file name given to {@link LimineBoot#load}
 * @param files      reads the kernel's internal modules; empty means the machine has no boot volume
 */
public record BootVolume(Optional<String> kernelPath, Optional<ModuleResolver> files) {
    /** No volume: the kernel is {@code "/" +} its file name and no internal module can be found. */
    public static final BootVolume NONE = new BootVolume(Optional.empty(), Optional.empty());

    /**
     * A host directory standing for the volume's root, the kernel at its top: a kernel's internal module
     * {@code /initrd.tar} is {@code directory/initrd.tar}.
     */
    public static BootVolume hostDirectory(Path directory) {
        return hostFolders(List.of(directory));
    }

    /**
     * Host folders overlaid as the volume's root, searched in order: a kernel's internal module {@code /x/y} is the
     * first {@code folder/x/y} that is a regular file. A file is read only if its real path (symbolic links
     * followed) lies inside the real path of the folder it was found in; one that leads out of it is refused
     * ({@link RefusedPathException}) unless a later folder has the file.
     */
    public static BootVolume hostFolders(List<Path> folders) {
        List<Path> roots = List.copyOf(folders);
        ModuleResolver files = path -> {
            String relative = path.replaceFirst("^/+", "");
            RefusedPathException refused = null;
            for (Path root : roots) {
                Path file = root.resolve(relative);
                if (!Files.isRegularFile(file)) {
                    continue;
                }
                Path realRoot = root.toRealPath();
                Path real = file.toRealPath();
                if (!real.startsWith(realRoot)) {
                    if (refused == null) {
                        refused = new RefusedPathException(file + " leads to " + real + ", outside " + realRoot);
                    }
                    continue;
                }
                return Optional.of(Files.readAllBytes(real));
            }
            if (refused != null) {
                throw refused;
            }
            return Optional.empty();
        };
        return new BootVolume(Optional.empty(), Optional.of(files));
    }

    public BootVolume withKernelPath(String path) {
        return new BootVolume(Optional.of(path), files);
    }

    public BootVolume withFiles(ModuleResolver resolver) {
        return new BootVolume(kernelPath, Optional.of(resolver));
    }
}
