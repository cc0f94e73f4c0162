// The proactive-cooling core: features, the Thermal Predictor, the Coolant Valve's setpoint
// choice and safety chain, and the PI loop the baselines use. No Node-RED in here.
export * from './features';
export * from './regression';
export * from './predictor';
export * from './plant';
export * from './setpoints';
export * from './valve';
export * from './pid';
export * from './history';
