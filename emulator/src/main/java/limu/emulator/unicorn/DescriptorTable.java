package limu.emulator.unicorn;

/** GDTR or IDTR: base (linear) and limit. */
public record DescriptorTable(long base, int limit) {
}
