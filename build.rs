// Templates are embedded with include_dir!, which cargo cannot see: rebuild whenever a
// file under templates/ changes (cargo scans the whole folder for this directive).
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
