// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

/** The architecture's exception vectors (Intel SDM vol. 3, table 6-1) and their classes (table 6-4). */
public final class Vectors {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
            TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21;

    private static final String[] NAMES = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization", "#CP control protection"};

    private static final String[] MNEMONICS = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF",
        "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};

    private Vectors() {
    }

    /** "#PF page fault (vector 14)", or "interrupt 0x80". */
    public static String describe(int vector) {
        return vector < NAMES.length ? NAMES[vector] + " (vector " + vector + ")" : String.format("interrupt 0x%x", vector);
    }

    /** "#PF", or "INT 0x80". */
    public static String mnemonic(int vector) {
        return vector < MNEMONICS.length ? MNEMONICS[vector] : String.format("vector 0x%x", vector);
    }

    /** The exceptions that push an error code when the CPU raises them (never for INT n or external interrupts). */
    public static boolean hasErrorCode(int vector) {
        return vector == DF || vector == TS || vector == NP || vector == SS || vector == GP || vector == PF
                || vector == AC || vector == CP;
    }

    /** Contributory exceptions (table 6-4): #DE, #TS, #NP, #SS, #GP. */
    public static boolean contributory(int vector) {
        return vector == DE || (vector >= TS && vector <= GP);
    }

    /**
     * Table 6-5: what happens when {@code second} is detected while the CPU
     * delivers {@code first}. Returns {@link #DF} for a double fault, -1 for a
     * triple fault (shutdown), else {@code second} (handled serially).
     */
    public static int combine(int first, int second) {
        if (first == DF) {
            return -1;
        }
        boolean firstContributory = contributory(first);
        boolean secondContributory = contributory(second);
        if (firstContributory && secondContributory) {
            return DF;
        }
        if (first == PF && (secondContributory || second == PF)) {
            return DF;
        }
        return second;
    }
}
