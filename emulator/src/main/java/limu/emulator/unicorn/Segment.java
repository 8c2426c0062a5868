// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/**
 * A segment register with its hidden part: selector, base, limit, and the
 * attribute bits laid out as in the descriptor's high dword (type 8-11, S 12,
 * DPL 13-14, P 15, L 21, D/B 22, G 23).
 */
public record Segment(int selector, long base, int limit, int flags) {
    public int dpl() {
        return (flags >>> 13) & 3;
    }
}
