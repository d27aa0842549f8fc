# rtsp-server-perl (Debian librtsp-server-perl) on the given ports. The packaged
# /usr/bin/rtsp-server-perl ignores --rtp_start_port, so parallel runs would collide on UDP 20000.
# Usage: perl rtsp_server.pl CLIENT_PORT SOURCE_PORT RTP_START_PORT
use strict; use warnings; use AnyEvent; use RTSP::Server;
my ($client_port, $source_port, $rtp_port) = @ARGV;
my $srv = RTSP::Server->new(
    client_listen_port => $client_port, source_listen_port => $source_port,
    client_listen_address => '127.0.0.1', source_listen_address => '127.0.0.1',
    rtp_start_port => $rtp_port, log_level => 2);
$srv->listen;
my $cv = AnyEvent->condvar;
$SIG{INT} = $SIG{TERM} = sub { $cv->send };
$cv->recv;
