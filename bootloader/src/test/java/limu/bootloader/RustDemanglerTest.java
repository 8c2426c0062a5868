// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RustDemanglerTest {
    private static void check(String mangled, String expected) {
        assertEquals(expected, RustDemangler.demangle(mangled), mangled);
    }

    @Test
    void legacy() {
        check("_ZN6kernel4main17h0123456789abcdefE", "kernel::main");
        check("_ZN6kernel4main17h0123456789abcdefE.llvm.4242", "kernel::main");
        check("_ZN4talc4talc13Talc$LT$O$GT$6malloc17h0123456789abcdefE", "talc::talc::Talc<O>::malloc");
        check("_ZN84_$LT$talc..talck..Talck$LT$R$C$O$GT$$u20$as$u20$core..alloc..global..GlobalAlloc$GT$5alloc"
                + "17h0123456789abcdefE", "<talc::talck::Talck<R,O> as core::alloc::global::GlobalAlloc>::alloc");
        check("_ZN4core3ptr13drop_in_place17h0000000000000000E", "core::ptr::drop_in_place");
        check("_ZN3foo3barE", "foo::bar");
        check("_ZN20foo$RF$$BP$$SP$$u7e$3barE", "foo&*@~::bar");
    }

    @Test
    void v0() {
        check("_RNvCs1234_7___rustc12___rust_alloc", "__rustc::__rust_alloc");
        check("_RNvCsdN8Lz9ub1Vb_6kernel5kmain", "kernel::kmain");
        check("_RNvMNtCs123_4talc4talcINtB2_4TalcNtNtCs456_6kernel5alloc8ErrOnOomE6malloc",
                "<talc::talc::Talc<kernel::alloc::ErrOnOom>>::malloc");
        check("_RNvXs_Cs123_6kernelNtB4_3FooNtNtCs456_4core3fmt7Display3fmt",
                "<kernel::Foo as core::fmt::Display>::fmt");
        check("_RNCNvCs123_6kernel4main0B3_", "kernel::main::{closure#0}");
        check("_RINvCs123_4core3maxjEB2_", "core::max::<usize>");
        check("_RINvCs1_3foo3barRShTmaEFUKCEuE", "foo::bar::<&[u8], (u32, i8), unsafe extern \"C\" fn()>");
        check("_RINvCs1_3foo3barKj10_E", "foo::bar::<16>");
        check("_RINvCs1_3foo3barDNtCs2_4core4SendEL_E", "foo::bar::<dyn core::Send>");
        check("_RNvCs1_3foo3bar.llvm.77", "foo::bar");
    }

    @Test
    void notRustOrMalformedStaysRaw() {
        check("main", "main");
        check("", "");
        check("_ZN3foo3barEv", "_ZN3foo3barEv"); // C++ with parameters
        check("_ZN3foo", "_ZN3foo");
        check("_ZN999foo3barE", "_ZN999foo3barE");
        check("_RNvC", "_RNvC");
        check("_RNvCs1_3fooB9_", "_RNvCs1_3fooB9_"); // forward back-reference
        check("_R" + "B_".repeat(10), "_R" + "B_".repeat(10));
        check("_R" + "I".repeat(5000), "_R" + "I".repeat(5000));
    }
}
