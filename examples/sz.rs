fn main() {
    use std::mem::size_of;
    println!("Connection {}", size_of::<synack::tcp::Connection>());
    println!("Side {}", size_of::<synack::tcp::Side>());
    println!("ZeekConn {}", size_of::<synack::zeek::ZeekConn>());
    println!("TcpSegment {}", size_of::<synack::decode::TcpSegment>());
    println!("Finding {}", size_of::<synack::findings::Finding>());
}
