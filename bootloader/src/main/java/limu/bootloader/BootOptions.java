package limu.bootloader;

import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The bootloader's own choices, beside the machine ({@link BootConfig}): where a relocatable kernel goes, what the
 * entropy request hands out, and which optional ACPI tables the firmware adds.
 *
 * @param kaslrSeed         empty: a relocatable kernel runs at its link address (slid into the top 2 GiB only if it
 *                          is linked below it), as Limine 10 and later do by default; present: it is slid by a
 *                          random amount chosen as Limine's KASLR chooses it, from a generator seeded with this value
 *                          (see {@link KaslrSlide})
 * @param entropySeed       seeds the generator whose bytes answer the entropy request, so runs are reproducible
 * @param extraAcpiTables   signatures of optional ACPI tables to add after QEMU's set ({@code SPCR}), upper case
 * @param tscHz             the CPUs' TSC rate, reported by the TSC frequency request; 0 leaves that request
 *                          unanswered (a machine whose TSC rate is not known)
 */
public record BootOptions(OptionalLong kaslrSeed, long entropySeed, List<String> extraAcpiTables, long tscHz) {
    /** The seed of {@code --kaslr} without a value. */
    public static final long DEFAULT_KASLR_SEED = 1;
    /** The seed of the entropy request's generator without {@code --seed}. */
    public static final long DEFAULT_ENTROPY_SEED = 0;
    /** The optional ACPI tables limu can add. */
    public static final List<String> OPTIONAL_ACPI_TABLES = List.of("SPCR");
    /** limu's virtual TSC: 1 GHz, one tick a nanosecond of virtual time. */
    public static final long DEFAULT_TSC_HZ = 1_000_000_000L;
    public static final BootOptions DEFAULT = new BootOptions(OptionalLong.empty(), DEFAULT_ENTROPY_SEED, List.of(),
            DEFAULT_TSC_HZ);

    public BootOptions {
        kaslrSeed = kaslrSeed == null ? OptionalLong.empty() : kaslrSeed;
        extraAcpiTables = extraAcpiTables == null ? List.of()
                : extraAcpiTables.stream().map(t -> t.toUpperCase(Locale.ROOT)).distinct().toList();
    }

    public BootOptions withKaslrSeed(OptionalLong value) {
        return new BootOptions(value, entropySeed, extraAcpiTables, tscHz);
    }

    public BootOptions withEntropySeed(long value) {
        return new BootOptions(kaslrSeed, value, extraAcpiTables, tscHz);
    }

    public BootOptions withExtraAcpiTables(List<String> value) {
        return new BootOptions(kaslrSeed, entropySeed, value, tscHz);
    }

    public BootOptions withTscHz(long value) {
        return new BootOptions(kaslrSeed, entropySeed, extraAcpiTables, value);
    }

    /** Whether the firmware adds the optional table {@code signature}. */
    boolean hasAcpiTable(String signature) {
        return extraAcpiTables.contains(signature);
    }

    /** Refuses an ACPI table limu cannot add; the message lists those it can. */
    public void check() throws BootException {
        for (String t : extraAcpiTables) {
            if (!OPTIONAL_ACPI_TABLES.contains(t)) {
                throw new BootException("ACPI table '" + t + "' cannot be added; limu's optional tables: "
                        + String.join(", ", OPTIONAL_ACPI_TABLES).toLowerCase(Locale.ROOT));
            }
        }
    }
}
