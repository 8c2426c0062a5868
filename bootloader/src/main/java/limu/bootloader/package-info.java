/**
 * limu's Limine bootloader: pure Java, no engine. {@link limu.bootloader.LimineBoot#load} takes a kernel ELF, a
 * {@link limu.bootloader.BootConfig} and guest RAM ({@link limu.bootloader.PhysicalMemory}, laid out by
 * {@link limu.bootloader.RamLayout}) and returns a {@link limu.bootloader.BootPlan}: RAM then holds the kernel, its
 * page tables and every response; the plan says how the bootstrap CPU starts.
 * <p>
 * Request kinds are one class each ({@code *Request}, listed in {@code Requests}); placement of bootloader memory goes
 * through {@code PhysicalAllocator}, which also derives the memory map; what gets mapped per base revision is
 * {@code BootAddressSpace}.
 */
package limu.bootloader;
