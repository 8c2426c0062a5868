package limu.emulator;

import limu.bootloader.ElfFile;

/**
 * Addresses to {@code " <crate::function+0x4f>"} from the kernel's symbol table, followed by
 * {@code " (src/main.rs:12)"} where its DWARF line table knows the line; "" when unknown.
 */
final class Symbols {
    private final ElfFile kernel;

    Symbols(ElfFile kernel) {
        this.kernel = kernel;
    }

    String at(long address) {
        return kernel.symbolize(address).map(s -> " <" + s + ">" + kernel.lines().at(address).map(l -> " (" + l + ")")
                .orElse("")).orElse("");
    }
}
