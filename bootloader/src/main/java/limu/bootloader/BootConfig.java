package limu.bootloader;

/**
 * What the machine offers the kernel.
 *
 * @param memoryBytes      guest RAM size (see {@link RamLayout#forSize} for the accepted sizes)
 * @param cmdline          the executable command line (Executable Cmdline request); null means empty
 * @param bootEpochSeconds UNIX time reported by the Date At Boot request
 * @param fiveLevelPaging  whether the CPU offers 5-level paging (LA57); the kernel gets it only if it asks
 */
public record BootConfig(long memoryBytes, String cmdline, long bootEpochSeconds, boolean fiveLevelPaging) {
    public BootConfig {
        if (cmdline == null) {
            cmdline = "";
        }
    }
}
