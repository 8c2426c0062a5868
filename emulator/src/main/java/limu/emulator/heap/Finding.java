// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

/** What the block ledger found wrong: the rule broken, the block it concerns (or null), and why. */
record Finding(HeapChecker.Violation kind, Block block, String detail) {
}
