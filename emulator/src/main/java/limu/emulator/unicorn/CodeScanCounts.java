// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/**
 * What one engine's scan of fetched code pages found ({@link UnicornEngine#codeScanCounts()}):
 * fetch fills scanned, RDMSR/WRMSR and PAUSE addresses hooked, and slices a PAUSE ended.
 */
public record CodeScanCounts(long pagesScanned, long msrSites, long pauseSites, long yields) {
}
