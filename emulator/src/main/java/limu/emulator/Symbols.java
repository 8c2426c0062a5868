package limu.emulator;

import limu.bootloader.ElfFile;

/** Addresses to {@code " <crate::function+0x4f>"} from the kernel's symbol table, or "" when unknown. */
final class Symbols {
    private final ElfFile kernel;

    Symbols(ElfFile kernel) {
        this.kernel = kernel;
    }

    String at(long address) {
        return kernel.symbolize(address).map(s -> " <" + s + ">").orElse("");
    }
}
