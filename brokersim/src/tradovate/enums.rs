//! The enums of Tradovate's order commands as the simulator uses them: actions, order types
//! (the ones it executes), time in force, and the order statuses it reaches.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Buy,
    Sell,
}

pub(crate) const ACTIONS: &[&str] = &["Buy", "Sell"];
pub(crate) const ORDER_TYPES: &[&str] = &[
    "Limit",
    "LimitIfTouched",
    "MIT",
    "Market",
    "QTS",
    "Stop",
    "StopLimit",
    "TrailingStop",
    "TrailingStopLimit",
];
pub(crate) const TIME_IN_FORCE: &[&str] = &["Day", "FOK", "GTC", "GTD", "IOC"];

impl Action {
    pub fn parse(text: &str) -> Self {
        if text == "Sell" {
            Self::Sell
        } else {
            Self::Buy
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "Buy",
            Self::Sell => "Sell",
        }
    }

    pub fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    pub fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }
}

/// The order types the simulator executes; the others are refused as `Unsupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Market,
    Limit,
    Stop,
    StopLimit,
}

impl Kind {
    pub fn parse(order_type: &str) -> Option<Self> {
        match order_type {
            "Market" => Some(Self::Market),
            "Limit" => Some(Self::Limit),
            "Stop" => Some(Self::Stop),
            "StopLimit" => Some(Self::StopLimit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Market => "Market",
            Self::Limit => "Limit",
            Self::Stop => "Stop",
            Self::StopLimit => "StopLimit",
        }
    }
}

/// `ordStatus`, the subset the simulator reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrdStatus {
    Working,
    Suspended,
    Filled,
    Canceled,
    Expired,
}

impl OrdStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Working => "Working",
            Self::Suspended => "Suspended",
            Self::Filled => "Filled",
            Self::Canceled => "Canceled",
            Self::Expired => "Expired",
        }
    }

    /// Still able to fill (now, or once its parent fills).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Working | Self::Suspended)
    }
}
