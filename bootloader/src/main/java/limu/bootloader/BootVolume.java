package limu.bootloader;

import java.nio.file.Files;
import java.nio.file.Path;
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
        ModuleResolver files = path -> {
            Path file = directory.resolve(path.replaceFirst("^/+", ""));
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
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
