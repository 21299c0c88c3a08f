//! Links edgehook's wasm-bindgen API (`edgehook::browser`, chosen by this crate's features)
//! into a module of its own; there is no code here.
extern crate edgehook;
