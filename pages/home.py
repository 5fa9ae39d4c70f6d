"""Start here: what the dashboard teaches, and in which order."""
import streamlit as st

from fmnist_core.fashion.dataset import CLASS_NAMES
from ui.kit.common import dataset, device, missing_data_screen
from ui.views.page_registry import LECTURE, PAGES

st.title("Neural networks, seen happen")
st.markdown(
    "An interactive companion to a first lecture on neural networks. Every idea on the board has "
    "a place here where you can **see it happen** on a real network, trained live on this machine"
    f" (`{device()}`)."
)

st.header("The lecture, in order")
ABOUT = {  # what each page of the lecture shows (the registry gives their order, titles and icons)
    "activations": "A neuron is a weighted sum plus an activation: compute one by hand (the flu example), "
                   "compare step, sigmoid, tanh, ReLU and custom activations, and train with each.",
    "boundaries": "Each hidden unit draws a line. Two units re-encode XOR so that one line separates it; "
                  "more units give smoother boundaries, and too many overfit.",
    "learning": "One training step in slow motion: forward, loss, backpropagation by the chain rule, the "
                "update; softmax and one-hot targets; which loss to use.",
    "initialization": "Zeros keep every unit identical; too small vanishes, too large saturates or explodes; "
                      "Xavier and He keep the signal alive through depth.",
    "optimizers": "SGD, momentum, Adagrad, RMSprop and Adam race on loss surfaces from the same start: zig-zags, "
                  "divergence, mini-batch noise, and the same race on Fashion-MNIST.",
    "training": "Press Start and watch an MLP or a CNN learn 10 kinds of garments: live curves, confusion "
                "matrix, mistakes, optimizers and ensembles.",
    "layers": "Open a trained MLP and CNN: first-layer weights, each unit's favourite images, feature maps, "
              "how separable each layer is, and a map of the feature space.",
    "sketch": "Sketch a sneaker and see what the network says, what it looked at, and which training "
              "images it thinks yours resembles.",
    "fragile": "Fool a network with changes too small to see, watch it dream of each class, and switch its "
               "units off one by one.",
    "overfitting": "Train on 500 real images and watch train and test accuracy part; close the gap with more data, "
                   "augmentation, dropout, weight decay, batch norm or early stopping.",
}
for col, entry in zip(st.columns(5) + st.columns(5), LECTURE):  # two rows: readable projected
    with col:
        with st.container(border=True):
            st.markdown(f"### {entry.icon}\n**{entry.title}**")
            st.caption(ABOUT[entry.key])
            st.page_link(entry.file, label="Open", icon=":material/arrow_forward:")

with st.container(border=True, key="home_lessons_card"):
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.markdown(f"**{PAGES['lessons'].icon} {PAGES['lessons'].title}** · guided steps through the whole lecture: "
                "each opens a page with the right settings, asks you to predict, sets a goal the app checks, "
                "then explains.")
    with c2:
        st.page_link(PAGES["lessons"].file, label="Open", icon=":material/arrow_forward:")

st.header("The data: Fashion-MNIST")
st.markdown(
    "70,000 grayscale photos of garments, 28×28 pixels: 60,000 to train on and 10,000 to test. "
    "Ten classes: " + ", ".join(f"**{i}** {n}" for i, n in enumerate(CLASS_NAMES)) + ". "
    "It is harder than handwritten digits: shirts, T-shirts, pullovers and coats confuse every model."
)
data = dataset()
if data is None:
    missing_data_screen()
else:
    import plotly.express as px

    idx = [int((data.train_labels == c).nonzero()[0, 0]) for c in range(10)]
    imgs = data.train_images[idx].cpu().numpy()  # (10, 28, 28)
    fig = px.imshow(imgs, facet_col=0, facet_col_wrap=10, color_continuous_scale="gray_r",
                    binary_string=False)
    for i, a in enumerate(fig.layout.annotations):
        a.text = CLASS_NAMES[int(a.text.split("=")[-1])]
    fig.update_layout(coloraxis_showscale=False, height=180, margin=dict(l=0, r=0, t=30, b=0))
    fig.update_xaxes(visible=False).update_yaxes(visible=False)
    st.plotly_chart(fig, key="home_examples")
    st.caption(f"One training image per class, from `{data.source}`. "
               f"{len(data.train_labels):,} training and {len(data.test_labels):,} test images loaded.")

with st.expander("For teachers: projecting this in class"):
    st.markdown(
        "- Every page keeps its settings in the address bar: copy the link to share an exact experiment.\n"
        "- Training runs in the background; the page stays usable and the class watches curves update live.\n"
        "- One training job per browser tab; when many students train at once, jobs queue and show their place.\n"
        "- **Presenter mode** (sidebar toggle, or `present=1` in a link): large type, colour-blind-safe colours, "
        "the sidebar folded away, and a PNG button on every figure.\n"
        "- **Lessons** live in `lessons/*.toml`; *Copy as lesson step* (sidebar) turns any page's settings into a step."
    )
