//! Injected faults: each kind fails exactly the next N transactions the way a troubled server
//! would, and mail flows again afterwards.

use serde_json::json;

use crate::support::{Sink, mail};

#[tokio::test]
async fn reject_rcpt_answers_450_for_the_next_n_transactions() {
    let sink = Sink::start().await;
    sink.fault("reject_rcpt", 2).await;
    let mut client = sink.ehlo().await;
    for _ in 0..2 {
        client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
        client.expect("RCPT TO:<b@example.test>", 450).await;
        client.expect("RCPT TO:<c@example.test>", 450).await;
        client.expect("DATA", 554).await;
        client.expect("RSET", 250).await;
    }
    let data = mail("b@example.test", "after the outage", "hi\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
    let (_, faults) = sink.call("GET", "/faults", None).await;
    assert_eq!(faults, json!([]));
    assert_eq!(sink.messages("").await.len(), 1);
}

#[tokio::test]
async fn reject_data_refuses_the_whole_message_with_451() {
    let sink = Sink::start().await;
    sink.fault("reject_data", 1).await;
    let mut client = sink.ehlo().await;
    let data = mail("b@example.test", "retry me", "hi\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        451
    );
    assert!(sink.messages("").await.is_empty());
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
    assert_eq!(sink.messages("").await.len(), 1);
}

#[tokio::test]
async fn temporary_failure_answers_mail_from_with_451_on_any_connection() {
    let sink = Sink::start().await;
    sink.fault("temporary_failure", 2).await;
    let mut first = sink.ehlo().await;
    first.expect("MAIL FROM:<a@copytrade.test>", 451).await;
    // No transaction began, so RCPT is out of order.
    first.expect("RCPT TO:<b@example.test>", 503).await;
    let mut second = sink.ehlo().await;
    second.expect("MAIL FROM:<a@copytrade.test>", 451).await;
    let data = mail("b@example.test", "through", "hi\r\n");
    assert_eq!(
        first
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
}

#[tokio::test]
async fn disconnect_drops_the_connection_after_the_data_without_an_answer() {
    let sink = Sink::start().await;
    sink.fault("disconnect", 1).await;
    let mut client = sink.ehlo().await;
    client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
    client.expect("RCPT TO:<b@example.test>", 250).await;
    client.expect("DATA", 354).await;
    client.write(b"Subject: lost\r\n\r\nhi\r\n.\r\n").await;
    client.expect_closed().await;
    assert!(sink.messages("").await.is_empty());

    let mut again = sink.ehlo().await;
    let data = mail("b@example.test", "resent", "hi\r\n");
    assert_eq!(
        again
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
    assert_eq!(sink.messages("").await.len(), 1);
}

#[tokio::test]
async fn faults_queue_in_order_are_listed_and_deleting_them_restores_service() {
    let sink = Sink::start().await;
    sink.fault("temporary_failure", 1).await;
    sink.fault("reject_rcpt", 3).await;
    let (status, faults) = sink.call("GET", "/faults", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        faults,
        json!([{"kind": "temporary_failure", "count": 1}, {"kind": "reject_rcpt", "count": 3}])
    );
    let mut client = sink.ehlo().await;
    client.expect("MAIL FROM:<a@copytrade.test>", 451).await;
    client.expect("MAIL FROM:<a@copytrade.test>", 250).await;
    client.expect("RCPT TO:<b@example.test>", 450).await;
    client.expect("RSET", 250).await;
    let (_, faults) = sink.call("GET", "/faults", None).await;
    assert_eq!(faults, json!([{"kind": "reject_rcpt", "count": 2}]));

    let (status, _) = sink.call("DELETE", "/faults", None).await;
    assert_eq!(status, 200);
    let data = mail("b@example.test", "healthy", "hi\r\n");
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
}

#[tokio::test]
async fn a_fault_without_a_known_kind_or_with_count_zero_is_refused() {
    let sink = Sink::start().await;
    let (status, body) = sink
        .call(
            "POST",
            "/faults",
            Some(json!({"kind": "reject_data", "count": 0})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = sink
        .call("POST", "/faults", Some(json!({"kind": "set_on_fire"})))
        .await;
    assert_eq!(status, 422);
    // `count` defaults to one.
    let (status, faults) = sink
        .call("POST", "/faults", Some(json!({"kind": "reject_data"})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(faults, json!([{"kind": "reject_data", "count": 1}]));
}

#[tokio::test]
async fn pass_lets_the_first_transactions_through_and_the_next_fault_fails_the_rest() {
    let sink = Sink::start().await;
    sink.fault("pass", 2).await;
    sink.fault("temporary_failure", 1).await;
    let mut client = sink.ehlo().await;
    let data = mail("b@example.test", "batch", "hi\r\n");
    for expected in [250, 250] {
        assert_eq!(
            client
                .send("a@copytrade.test", &["b@example.test"], &data)
                .await,
            expected
        );
    }
    client.expect("MAIL FROM:<a@copytrade.test>", 451).await;
    assert_eq!(
        client
            .send("a@copytrade.test", &["b@example.test"], &data)
            .await,
        250
    );
    assert_eq!(sink.messages("").await.len(), 3);
}
