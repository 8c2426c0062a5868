// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/**
 * The outcome of one {@link Engine#run}: why it ended, the details that go with
 * that reason, and the work done ({@code instructions} only when counting).
 */
public record Slice(RunExit exit, int vector, long address, MemoryAccess access, int size,
                    long blocks, long instructions) {
}
