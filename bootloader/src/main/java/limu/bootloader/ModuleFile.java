package limu.bootloader;

/**
 * A module the machine configuration hands to the kernel (Limine's {@code module_path}/{@code module_cmdline}).
 * The kernel sees it in the Module response as {@code "/" + } the last component of {@code path}, with
 * {@code cmdline} as its string, after the kernel's own internal modules.
 *
 * @param path    where it came from (only its file name is shown to the kernel)
 * @param bytes   its contents (not copied; do not modify)
 * @param cmdline its string; null means empty
 */
public record ModuleFile(String path, byte[] bytes, String cmdline) {
    public ModuleFile {
        if (cmdline == null) {
            cmdline = "";
        }
    }

    /** The path the kernel sees: a leading slash and the last component of {@link #path()}. */
    public String volumePath() {
        return VolumePath.ofFileName(path);
    }
}
