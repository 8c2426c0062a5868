// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** GDTR or IDTR: base (linear) and limit. */
public record DescriptorTable(long base, int limit) {
}
