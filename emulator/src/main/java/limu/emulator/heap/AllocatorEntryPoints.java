// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import limu.bootloader.ElfFile;

/**
 * The kernel's global allocator as its symbol table shows it: the allocator shims rustc emits for
 * {@code #[global_allocator]} ({@code __rust_alloc}, {@code __rust_dealloc}, {@code __rust_realloc},
 * {@code __rust_alloc_zeroed}: plain global symbols before Rust 1.88, v0-mangled local
 * {@code __rustc::__rust_alloc} since; very old toolchains' {@code __rg_alloc} too) and talc's
 * {@code Talc::claim}/{@code extend}/{@code truncate}, which tell the heap's spans.
 *
 * <p>A release build may inline some shims into their callers (they are in the kernel's own crate):
 * then talc's own methods are watched if they are functions ({@link #talcLevel()}), else the
 * {@code <X as core::alloc::global::GlobalAlloc>::alloc/dealloc/realloc/alloc_zeroed} methods left as
 * functions ({@link #globalAllocLevel()}: talc's {@code Talck} and the kernel's own allocators), else
 * only the shims left; {@link #missing()} names the inlined shims.
 */
public final class AllocatorEntryPoints {
    /** What an entry point does. */
    public enum Kind {
        ALLOC("__rust_alloc"), DEALLOC("__rust_dealloc"), REALLOC("__rust_realloc"), ALLOC_ZEROED("__rust_alloc_zeroed"),
        CLAIM("Talc::claim"), EXTEND("Talc::extend"), TRUNCATE("Talc::truncate"),
        /** talc's own methods, watched instead of the shims when the shims are inlined (release builds). */
        TALC_MALLOC("Talc::malloc"), TALC_FREE("Talc::free"), TALC_GROW("Talc::grow_in_place"),
        TALC_SHRINK("Talc::shrink"),
        /**
         * {@code GlobalAlloc} methods, watched when the shims and talc's methods are inlined: {@code (&self,
         * Layout)}, {@code (&self, ptr, Layout)}, {@code (&self, ptr, Layout, new_size)} with the Layout as
         * (align, size) in two registers, and {@code &self} left out when LLVM dropped the unused argument.
         */
        GA_ALLOC("GlobalAlloc::alloc"), GA_DEALLOC("GlobalAlloc::dealloc"), GA_REALLOC("GlobalAlloc::realloc"),
        GA_ALLOC_ZEROED("GlobalAlloc::alloc_zeroed");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private static final Pattern SHIM = Pattern.compile("(?:^|::)__r(?:ust|g)_(alloc|dealloc|realloc|alloc_zeroed)$");
    private static final Pattern TALC = Pattern.compile("^<?talc::talc::Talc<.*>>?::(claim|extend|truncate)$");
    private static final Pattern TALC_CORE = Pattern.compile("^<?talc::talc::Talc<.*>>?::(malloc|free|grow_in_place|shrink)$");

    private static final Pattern GLOBAL_ALLOC = Pattern.compile(
            "^<.+ as core::alloc::global::GlobalAlloc>::(alloc|dealloc|realloc|alloc_zeroed)$");

    private final Map<Long, Kind> talcCore = new LinkedHashMap<>();
    /** Every GlobalAlloc impl's methods (a dispatching allocator and the one it calls may both be functions). */
    private final Map<Long, Kind> globalAlloc = new LinkedHashMap<>();
    private final Map<Long, String> globalAllocNames = new LinkedHashMap<>();

    private final Map<Long, Kind> byAddress = new LinkedHashMap<>();
    private final Map<Kind, String> names = new LinkedHashMap<>();

    private AllocatorEntryPoints() {
    }

    public static AllocatorEntryPoints find(ElfFile kernel) {
        AllocatorEntryPoints e = new AllocatorEntryPoints();
        for (ElfFile.Symbol s : kernel.symbols()) {
            if (s.type() != ElfFile.STT_FUNC || s.value() == 0) {
                continue;
            }
            String name = s.demangledName();
            Matcher m = SHIM.matcher(name);
            Matcher g = GLOBAL_ALLOC.matcher(name);
            if (g.find()) {
                Kind k = Kind.valueOf("GA_" + g.group(1).toUpperCase(java.util.Locale.ROOT));
                e.globalAlloc.put(s.value(), k);
                e.globalAllocNames.put(s.value(), name);
                continue;
            }
            Kind kind = null;
            if (m.find()) {
                kind = Kind.valueOf(m.group(1).toUpperCase(java.util.Locale.ROOT));
                if (name.contains("__rg_") && e.names.containsKey(kind)) {
                    continue;   // the shim proper wins over the old __rg_ implementation
                }
            } else {
                Matcher t = TALC.matcher(name);
                Matcher c = TALC_CORE.matcher(name);
                if (t.find()) {
                    kind = Kind.valueOf(t.group(1).toUpperCase(java.util.Locale.ROOT));
                } else if (c.find()) {
                    Kind k = switch (c.group(1)) {
                        case "malloc" -> Kind.TALC_MALLOC;
                        case "free" -> Kind.TALC_FREE;
                        case "grow_in_place" -> Kind.TALC_GROW;
                        default -> Kind.TALC_SHRINK;
                    };
                    e.talcCore.values().remove(k);
                    e.talcCore.put(s.value(), k);
                    e.names.put(k, name);
                    continue;
                }
            }
            if (kind != null) {
                e.byAddress.values().remove(kind);
                e.byAddress.put(s.value(), kind);
                e.names.put(kind, name);
            }
        }
        return e;
    }

    /** Entry address to kind. */
    public Map<Long, Kind> entries() {
        return byAddress;
    }

    /**
     * True when some shims are inlined but talc's own malloc, free, grow_in_place and shrink are
     * functions: then those are watched instead of the shims (see {@link #watched()}).
     */
    public boolean talcLevel() {
        return !missing().isEmpty() && talcCore.size() == 4;
    }

    /**
     * True when some shims are inlined, talc's methods are too, but {@code GlobalAlloc::alloc} and {@code dealloc}
     * methods are functions: then those are watched (see {@link #watched()}). Frees are seen as long as every
     * inlined {@code dealloc} ends in a {@code GlobalAlloc::dealloc} function (talc's {@code Talck}'s, say).
     */
    public boolean globalAllocLevel() {
        return !missing().isEmpty() && !talcLevel() && globalAlloc.containsValue(Kind.GA_ALLOC)
                && globalAlloc.containsValue(Kind.GA_DEALLOC);
    }

    /**
     * What the checker hooks: the shims and talc's span methods, or talc's methods in {@link #talcLevel()}, or the
     * GlobalAlloc methods in {@link #globalAllocLevel()}.
     */
    public Map<Long, Kind> watched() {
        if (!talcLevel() && !globalAllocLevel()) {
            return byAddress;
        }
        Map<Long, Kind> m = new LinkedHashMap<>(talcLevel() ? talcCore : globalAlloc);
        byAddress.forEach((a, k) -> {
            if (k == Kind.CLAIM || k == Kind.EXTEND || k == Kind.TRUNCATE) {
                m.put(a, k);
            }
        });
        return m;
    }

    /** The shims the symbol table lacks (inlined or stripped). */
    public List<String> missing() {
        List<String> m = new ArrayList<>();
        for (Kind k : List.of(Kind.ALLOC, Kind.DEALLOC, Kind.REALLOC, Kind.ALLOC_ZEROED)) {
            if (!names.containsKey(k)) {
                m.add(k.label);
            }
        }
        return m;
    }

    public String describe() {
        StringBuilder b = new StringBuilder();
        watched().forEach((a, k) -> b.append(b.length() == 0 ? "" : ", ").append(String.format("%s at 0x%x",
                globalAllocNames.getOrDefault(a, names.get(k)), a)));
        return b.toString();
    }
}
