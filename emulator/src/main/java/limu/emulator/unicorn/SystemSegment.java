// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** TR or LDTR: the selector and the descriptor cache (base, limit, access flags). */
public record SystemSegment(int selector, long base, int limit, int flags) {
}
