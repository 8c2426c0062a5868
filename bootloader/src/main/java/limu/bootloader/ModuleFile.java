// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A host file the machine configuration hands to the kernel (Limine's {@code module_path}/{@code module_cmdline}).
 * The kernel sees it in the Module response as {@code "/" + } the last component of {@code path}, with
 * {@code cmdline} as its string, after the kernel's own internal modules. It is read when the boot starts.
 *
 * @param path    the host file (only its file name is shown to the kernel)
 * @param cmdline its string; null means empty
 */
public record ModuleFile(Path path, String cmdline) {
    public ModuleFile {
        if (cmdline == null) {
            cmdline = "";
        }
    }

    /** {@code PATH[,CMDLINE]}: the cmdline is everything after the first comma. */
    public static ModuleFile parse(String text) {
        int comma = text.indexOf(',');
        return comma < 0 ? new ModuleFile(Path.of(text), "")
                : new ModuleFile(Path.of(text.substring(0, comma)), text.substring(comma + 1));
    }

    /** The path the kernel sees: a leading slash and the last component of {@link #path()}. */
    public String volumePath() {
        return VolumePath.ofFileName(path == null ? null : path.toString());
    }

    /** The file's contents; a missing or unreadable file fails the boot. */
    byte[] read() throws BootException {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new BootException("module " + path + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw new BootException("module " + path + ": cannot read: " + e.getMessage());
        }
    }
}
